//! The side-by-side comparison in the report: its two targets (our init
//! within 2x the floor; spawn to first response at least 20x faster than
//! the Node 22 peer) per CPU share, and its tables.

use std::fmt::Write as _;

use super::targets::{pass, Verdict};
use crate::peers::{
    ratio_rows, subject_rows, PeersResults, ProfileResult, FIRST_RESPONSE, FLOOR, INIT, NODE_PEER,
    RATIO_HEADER, SUBJECT_HEADER,
};
use crate::stats::Summary;

/// Our init / the floor's, same round, median: at most this.
pub const INIT_VS_FLOOR: f64 = 2.0;
/// Node 22's spawn to first response / ours, same round, median: at least this.
pub const NODE_VS_OURS: f64 = 20.0;
const OURS: &str = "create-order";

fn measured(ratio: Option<&Summary>, p: &ProfileResult, a: &str, b: &str, figure: &str) -> String {
    let median_of = |name: &str| {
        p.subject(name)
            .and_then(|s| {
                if figure == INIT {
                    s.init.as_ref()
                } else {
                    s.first_response.as_ref()
                }
            })
            .map_or("-".into(), |s| format!("{:.2} ms", s.median))
    };
    match ratio {
        Some(r) => format!(
            "median {:.2}x, p90 {:.2}x (n={}); medians {} vs {}",
            r.median,
            r.p90,
            r.n,
            median_of(a),
            median_of(b)
        ),
        None => "not measured".into(),
    }
}

/// Both targets for every profile that ran.
pub fn verdicts(r: &PeersResults, out: &mut Vec<Verdict>) {
    for p in &r.profiles {
        let init = p.ratio(INIT, OURS, FLOOR);
        out.push(Verdict {
            figure: format!("init {OURS} / {FLOOR} ({}, same round)", p.profile),
            target: format!("<= {INIT_VS_FLOOR}x"),
            measured: measured(init, p, OURS, FLOOR, INIT),
            verdict: pass(init.is_some_and(|s| s.median <= INIT_VS_FLOOR)),
        });
        let node = p.ratio(FIRST_RESPONSE, NODE_PEER, OURS);
        out.push(Verdict {
            figure: format!(
                "spawn to first response {NODE_PEER} / {OURS} ({})",
                p.profile
            ),
            target: format!(">= {NODE_VS_OURS}x"),
            measured: measured(node, p, NODE_PEER, OURS, FIRST_RESPONSE),
            verdict: pass(node.is_some_and(|s| s.median >= NODE_VS_OURS)),
        });
    }
}

fn row<const N: usize>(s: &mut String, cells: [String; N]) {
    let _ = writeln!(s, "| {} |", cells.join(" | "));
}

/// The generated tables: one per CPU share, then its ratios.
pub fn section(s: &mut String, r: &PeersResults) {
    let _ = writeln!(
        s,
        "\n### Cold starts side by side: every function, the Node 22 and Python peers, the floor\n\n\
         {} interleaved rounds (each cold-starts every subject once, the order rotated by one per round), \
         {} warm invocations after each first one; every subject writes to {}. Init = spawn to first \
         `GET /next`; first response = spawn to the first response posted (the event was queued before \
         the spawn); CPU = all threads, spawn to first response; ratios are taken per round, then the \
         median and p90 of those.\n",
        r.rounds, r.warm_invokes, r.backend
    );
    for p in &r.profiles {
        let quota = p
            .quota
            .as_deref()
            .map(|q| format!(" ({q})"))
            .unwrap_or_default();
        let _ = writeln!(s, "#### {}{quota}\n", p.profile);
        row(s, SUBJECT_HEADER.map(String::from));
        row(
            s,
            SUBJECT_HEADER.map(|h| {
                if h == "subject" || h == "kind" {
                    "---".into()
                } else {
                    "---:".to_string()
                }
            }),
        );
        for cells in subject_rows(p) {
            row(s, cells);
        }
        let _ = writeln!(s);
        row(s, RATIO_HEADER.map(String::from));
        row(s, ["---", "---", "---:", "---:", "---:"].map(String::from));
        for cells in ratio_rows(p) {
            row(s, cells);
        }
        let failures: Vec<String> = p
            .subjects
            .iter()
            .flat_map(|x| x.failures.iter().map(move |f| format!("{}: {f}", x.name)))
            .collect();
        if !failures.is_empty() {
            let _ = writeln!(s, "\nFailed runs:\n");
            for f in failures.iter().take(10) {
                let _ = writeln!(s, "- {}", f.replace('\n', " "));
            }
        }
        let _ = writeln!(s);
    }
    for skipped in &r.skipped {
        let _ = writeln!(s, "CPU share {skipped}.\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::results_for_tests;

    #[test]
    fn verdicts_per_profile() {
        let r = results_for_tests();
        let mut out = Vec::new();
        verdicts(&r, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].figure,
            "init create-order / lambda-hello (full CPU, same round)"
        );
        assert_eq!(
            out[0].measured,
            "median 1.50x, p90 1.50x (n=1); medians 3.00 ms vs 2.00 ms"
        );
        assert!(out[0].passed());
        assert_eq!(out[1].target, ">= 20x");
        assert!(
            out[1].measured.starts_with("median 25.00x"),
            "{}",
            out[1].measured
        );
        assert!(out[1].passed());
    }

    #[test]
    fn section_has_a_table_per_profile() {
        let mut s = String::new();
        section(&mut s, &results_for_tests());
        assert!(s.contains("#### full CPU\n"), "{s}");
        assert!(
            s.contains("| create-order | ours | 3.0 | 3.0 | 4.0 | 4.0 |"),
            "{s}"
        );
        assert!(
            s.contains("| init | create-order / lambda-hello | 1.50x | 1.50x | 1 |"),
            "{s}"
        );
        assert!(s.contains("CPU share 128 MB: not available (test)."), "{s}");
    }
}
