//! The console and Markdown tables of the comparison.

use std::fmt::Write as _;

use super::results::{PeersResults, ProfileResult};
use crate::stats::Summary;

fn ms(s: &Option<Summary>) -> String {
    s.as_ref()
        .map_or("-".into(), |s| format!("{:.1}", s.median))
}

/// Two decimals: a warm invocation's CPU is a fraction of a millisecond.
fn ms2(s: &Option<Summary>) -> String {
    s.as_ref()
        .map_or("-".into(), |s| format!("{:.2}", s.median))
}

fn p90(s: &Option<Summary>) -> String {
    s.as_ref().map_or("-".into(), |s| format!("{:.1}", s.p90))
}

fn mib(s: &Option<Summary>) -> String {
    s.as_ref()
        .map_or("-".into(), |s| format!("{:.1}", s.median / 1024.0))
}

/// One row per subject: medians and p90 of init and first response, warm
/// median, peak RSS, CPU to the first response and per warm invocation
/// medians, runs.
pub fn subject_rows(p: &ProfileResult) -> Vec<[String; 11]> {
    p.subjects
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                format!("{:?}", s.kind).to_lowercase(),
                ms(&s.init),
                p90(&s.init),
                ms(&s.first_response),
                p90(&s.first_response),
                ms(&s.warm),
                mib(&s.rss_peak_kb),
                ms(&s.cpu_ms),
                ms2(&s.warm_cpu_ms),
                format!("{}/{}", s.runs.len(), s.runs.len() + s.failures.len()),
            ]
        })
        .collect()
}

pub const SUBJECT_HEADER: [&str; 11] = [
    "subject",
    "kind",
    "init p50 ms",
    "init p90",
    "first resp p50 ms",
    "first p90",
    "warm p50 ms",
    "peak RSS MiB",
    "CPU p50 ms",
    "warm CPU ms",
    "runs",
];

/// One row per ratio: figure, numerator / denominator, median, p90, n.
pub fn ratio_rows(p: &ProfileResult) -> Vec<[String; 5]> {
    p.ratios
        .iter()
        .map(|r| {
            let (m, q, n) = r
                .per_round
                .as_ref()
                .map_or(("-".into(), "-".into(), 0), |s| {
                    (format!("{:.2}x", s.median), format!("{:.2}x", s.p90), s.n)
                });
            [
                r.figure.clone(),
                format!("{} / {}", r.numerator, r.denominator),
                m,
                q,
                n.to_string(),
            ]
        })
        .collect()
}

pub const RATIO_HEADER: [&str; 5] = ["figure", "ratio", "median", "p90", "rounds"];

/// One row per subject run both ways and figure: the share of it TLS is.
pub fn tls_share_rows(p: &ProfileResult) -> Vec<[String; 5]> {
    p.tls_shares
        .iter()
        .map(|r| {
            let pct = |v: f64| format!("{:.0}%", v * 100.0);
            let (m, q, n) = r
                .per_round
                .as_ref()
                .map_or(("-".into(), "-".into(), 0), |s| {
                    (pct(s.median), pct(s.p90), s.n)
                });
            [r.figure.clone(), r.denominator.clone(), m, q, n.to_string()]
        })
        .collect()
}

pub const TLS_SHARE_HEADER: [&str; 5] = ["figure", "subject", "TLS share median", "p90", "rounds"];

/// What `peers` and `report` print.
pub fn print_table(r: &PeersResults) {
    print!("{}", console(r));
}

pub fn console(r: &PeersResults) -> String {
    let mut s = String::new();
    for p in &r.profiles {
        let _ = writeln!(
            s,
            "Cold starts side by side: {} ({} rounds, {} warm invokes each{})",
            p.profile,
            r.rounds,
            r.warm_invokes,
            p.quota
                .as_deref()
                .map(|q| format!("; {q}"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "{}",
            SUBJECT_HEADER.map(|h| format!("{h:>12}")).join(" ")
        );
        for row in subject_rows(p) {
            let _ = writeln!(s, "{}", row.map(|c| format!("{c:>12}")).join(" "));
        }
        for row in ratio_rows(p) {
            let _ = writeln!(
                s,
                "  {:<22} {:<40} median {:>9} p90 {:>9} n={}",
                row[0], row[1], row[2], row[3], row[4]
            );
        }
        for row in tls_share_rows(p) {
            let _ = writeln!(
                s,
                "  TLS share of {:<22} {:<29} median {:>9} p90 {:>9} n={}",
                row[0], row[1], row[2], row[3], row[4]
            );
        }
        let _ = writeln!(s);
    }
    for skipped in &r.skipped {
        let _ = writeln!(s, "CPU share {skipped}");
    }
    s
}
