//! From runs to summaries and same-round ratios.

use super::results::{Ratio, Run, SubjectResult};
use super::subjects::{named, Kind, FLOOR, FLOOR_HTTPS, NODE_PEER, PYTHON_PEER};
use crate::stats::Summary;

/// The figures a ratio can be taken of.
pub const INIT: &str = "init";
pub const FIRST_RESPONSE: &str = "first response";
pub const WARM: &str = "warm invoke";
pub const CPU: &str = "CPU to first response";
pub const WARM_CPU: &str = "CPU per warm invoke";
pub const RSS: &str = "peak RSS";

/// One figure of a run (`None` when not measured).
fn figure(run: &Run, name: &str) -> Option<f64> {
    match name {
        INIT => Some(run.init_ms),
        FIRST_RESPONSE => Some(run.first_response_ms),
        WARM => Summary::of(&run.warm_ms).map(|s| s.median),
        CPU => run.cpu_ms,
        WARM_CPU => run.warm_cpu_ms,
        RSS => run.rss_peak_kb.map(|kb| kb as f64),
        _ => None,
    }
}

/// Fills in a subject's summaries from its runs.
pub fn summarise(s: &mut SubjectResult) {
    let of = |name: &str| -> Option<Summary> {
        Summary::of(
            &s.runs
                .iter()
                .filter_map(|r| figure(r, name))
                .collect::<Vec<_>>(),
        )
    };
    s.init = of(INIT);
    s.first_response = of(FIRST_RESPONSE);
    s.cpu_ms = of(CPU);
    s.warm_cpu_ms = of(WARM_CPU);
    s.rss_peak_kb = of(RSS);
    s.warm = Summary::of(
        &s.runs
            .iter()
            .flat_map(|r| r.warm_ms.iter().copied())
            .collect::<Vec<_>>(),
    );
}

/// `a / b` of `figure` for every round both have a run in.
pub fn paired_ratios(a: &SubjectResult, b: &SubjectResult, figure_name: &str) -> Vec<f64> {
    a.runs
        .iter()
        .filter_map(|ra| {
            let rb = b.runs.iter().find(|rb| rb.round == ra.round)?;
            let (x, y) = (figure(ra, figure_name)?, figure(rb, figure_name)?);
            (y > 0.0).then(|| x / y)
        })
        .collect()
}

fn ratio(a: &SubjectResult, b: &SubjectResult, figure_name: &str) -> Ratio {
    Ratio {
        figure: figure_name.into(),
        numerator: a.name.clone(),
        denominator: b.name.clone(),
        per_round: Summary::of(&paired_ratios(a, b, figure_name)),
    }
}

/// Peer / create-order for every figure, and each of ours / the floor for
/// init and first response; the same among the subjects run over TLS,
/// against the HTTPS floor and for CPU to the first response too.
pub fn ratios(subjects: &[SubjectResult]) -> Vec<Ratio> {
    let find = |name: &str| subjects.iter().find(|s| s.name == name);
    let mut out = Vec::new();
    for tls in [false, true] {
        if let Some(ours) = find(&named("create-order", tls)) {
            let peers = [NODE_PEER, PYTHON_PEER].map(|p| named(p, tls));
            for peer in peers.iter().filter_map(|p| find(p)) {
                for f in [INIT, FIRST_RESPONSE, WARM, CPU, WARM_CPU, RSS] {
                    out.push(ratio(peer, ours, f));
                }
            }
        }
        let (floor, figures): (_, &[&str]) = if tls {
            (FLOOR_HTTPS, &[INIT, FIRST_RESPONSE, CPU])
        } else {
            (FLOOR, &[INIT, FIRST_RESPONSE])
        };
        if let Some(floor) = find(floor) {
            for s in subjects
                .iter()
                .filter(|s| s.kind == Kind::Ours && s.tls == tls)
            {
                for f in figures {
                    out.push(ratio(s, floor, f));
                }
            }
        }
    }
    out
}

/// For every subject run both ways, the share of its first response and
/// of its CPU to the first response that TLS is: `(over TLS - plain) /
/// over TLS` of the two runs of each round.
pub fn tls_shares(subjects: &[SubjectResult]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for twin in subjects.iter().filter(|s| s.tls && s.kind != Kind::Floor) {
        let Some(plain) = subjects
            .iter()
            .find(|s| !s.tls && named(&s.name, true) == twin.name)
        else {
            continue;
        };
        for f in [FIRST_RESPONSE, CPU] {
            let shares: Vec<f64> = paired_ratios(plain, twin, f)
                .into_iter()
                .map(|plain_over_tls| 1.0 - plain_over_tls)
                .collect();
            out.push(Ratio {
                figure: f.into(),
                numerator: twin.name.clone(),
                denominator: plain.name.clone(),
                per_round: Summary::of(&shares),
            });
        }
    }
    out
}

/// The order of round `round`: `n` subjects rotated by the round, so each
/// runs first, second, ... equally often and drift hits all alike.
pub fn rotation(n: usize, round: usize) -> Vec<usize> {
    (0..n).map(|i| (i + round) % n.max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(round: usize, init: f64, first: f64) -> Run {
        Run {
            round,
            init_ms: init,
            first_response_ms: first,
            warm_ms: vec![1.0, 3.0, 2.0],
            rss_peak_kb: Some(1000),
            cpu_ms: Some(init / 2.0),
            warm_cpu_ms: Some(init / 4.0),
            status: "ok".into(),
        }
    }

    fn subject(name: &str, kind: Kind, runs: Vec<Run>) -> SubjectResult {
        let mut s = SubjectResult::new(name, kind, runs);
        summarise(&mut s);
        s
    }

    #[test]
    fn ratios_pair_runs_of_the_same_round() {
        let ours = subject(
            "create-order",
            Kind::Ours,
            vec![run(0, 4.0, 8.0), run(1, 5.0, 10.0), run(2, 6.0, 12.0)],
        );
        // Round 1 of the peer failed: only rounds 0 and 2 pair.
        let node = subject(
            NODE_PEER,
            Kind::Peer,
            vec![run(0, 400.0, 800.0), run(2, 300.0, 1200.0)],
        );
        assert_eq!(paired_ratios(&node, &ours, INIT), vec![100.0, 50.0]);
        assert_eq!(
            paired_ratios(&node, &ours, FIRST_RESPONSE),
            vec![100.0, 100.0]
        );
        let floor = subject(
            FLOOR,
            Kind::Floor,
            vec![run(0, 2.0, 2.5), run(1, 2.5, 2.5), run(2, 2.0, 3.0)],
        );
        let all = ratios(&[ours, node, floor]);
        assert_eq!(all.len(), 6 + 2);
        let init_floor = all
            .iter()
            .find(|r| r.figure == INIT && r.denominator == FLOOR)
            .unwrap();
        assert_eq!(init_floor.numerator, "create-order");
        let s = init_floor.per_round.as_ref().unwrap();
        assert_eq!((s.n, s.median, s.max), (3, 2.0, 3.0));
    }

    fn twin(name: &str, kind: Kind, runs: Vec<Run>) -> SubjectResult {
        let mut s = subject(name, kind, runs);
        s.tls = true;
        s
    }

    #[test]
    fn over_tls_ratios_pair_the_twins_and_take_the_https_floor() {
        let all = [
            subject("create-order", Kind::Ours, vec![run(0, 4.0, 8.0)]),
            subject(FLOOR, Kind::Floor, vec![run(0, 2.0, 2.0)]),
            twin("create-order (TLS)", Kind::Ours, vec![run(0, 4.0, 10.0)]),
            twin(
                "node22-create-order (TLS)",
                Kind::Peer,
                vec![run(0, 200.0, 400.0)],
            ),
            twin(FLOOR_HTTPS, Kind::Floor, vec![run(0, 2.0, 4.0)]),
        ];
        let r = ratios(&all);
        let find = |f: &str, a: &str, b: &str| {
            r.iter()
                .find(|r| r.figure == f && r.numerator == a && r.denominator == b)
                .and_then(|r| r.per_round.as_ref())
                .map(|s| s.median)
        };
        assert_eq!(
            find(
                FIRST_RESPONSE,
                "node22-create-order (TLS)",
                "create-order (TLS)"
            ),
            Some(40.0)
        );
        assert_eq!(find(CPU, "create-order (TLS)", FLOOR_HTTPS), Some(2.0));
        assert_eq!(
            find(FIRST_RESPONSE, "create-order (TLS)", FLOOR_HTTPS),
            Some(2.5)
        );
        assert_eq!(find(INIT, "create-order", FLOOR), Some(2.0));
        assert_eq!(
            find(CPU, "create-order", FLOOR),
            None,
            "plain: init and first response only"
        );
        assert_eq!(find(INIT, "create-order (TLS)", FLOOR), None);
    }

    #[test]
    fn the_tls_share_is_what_the_twin_adds_over_the_plain_run() {
        let all = [
            subject(
                "create-order",
                Kind::Ours,
                vec![run(0, 4.0, 6.0), run(1, 4.0, 9.0)],
            ),
            twin(
                "create-order (TLS)",
                Kind::Ours,
                vec![run(0, 4.0, 8.0), run(1, 4.0, 12.0)],
            ),
            twin(FLOOR_HTTPS, Kind::Floor, vec![run(0, 2.0, 4.0)]),
        ];
        let shares = tls_shares(&all);
        assert_eq!(
            shares.len(),
            2,
            "first response and CPU, none for the floor"
        );
        let first = shares.iter().find(|r| r.figure == FIRST_RESPONSE).unwrap();
        assert_eq!(first.numerator, "create-order (TLS)");
        assert_eq!(first.per_round.as_ref().unwrap().median, 0.25);
    }

    #[test]
    fn summaries_of_runs() {
        let s = subject("x", Kind::Ours, vec![run(0, 4.0, 8.0), run(1, 6.0, 9.0)]);
        assert_eq!(s.init.as_ref().unwrap().median, 5.0);
        assert_eq!(s.warm.as_ref().unwrap().n, 6);
        assert_eq!(s.warm.as_ref().unwrap().median, 2.0);
        assert_eq!(s.cpu_ms.as_ref().unwrap().max, 3.0);
        assert_eq!(s.warm_cpu_ms.as_ref().unwrap().median, 1.25);
        assert_eq!(s.rss_peak_kb.as_ref().unwrap().median, 1000.0);
    }

    #[test]
    fn rotation_starts_each_round_one_later() {
        assert_eq!(rotation(3, 0), vec![0, 1, 2]);
        assert_eq!(rotation(3, 1), vec![1, 2, 0]);
        assert_eq!(rotation(3, 5), vec![2, 0, 1]);
        assert!(rotation(0, 1).is_empty());
    }
}
