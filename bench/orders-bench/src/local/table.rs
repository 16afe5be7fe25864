//! The console output of `orders-bench local` (and of `report`): a line per
//! run while it runs, then a table of every run.

use std::fmt::Write as _;

use super::results::{LoadRun, LocalResults};

/// One run, on stderr.
pub fn print_run(r: &LoadRun) {
    eprintln!("{}", run_line(r));
}

/// The summary table, on stdout.
pub fn print_table(r: &LocalResults) {
    print!("{}", table(r));
}

fn run_line(r: &LoadRun) -> String {
    format!(
        "  {} req/s, p50 {:.2} ms, p99 {:.2} ms, non-2xx {}, socket errors {}, stored {} of {} expected{}",
        r.requests_per_s.round(),
        r.p50_ms,
        r.p99_ms,
        r.non_2xx,
        r.socket_errors,
        stored(r),
        r.expected_orders,
        r.count_error.as_deref().map_or(String::new(), |e| format!(" ({e})")),
    )
}

fn table(r: &LocalResults) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Local host POST /orders ({}, wrk -t{} -d{}s)",
        r.host_binary, r.threads, r.duration_s
    );
    let _ = writeln!(
        s,
        "{:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9} {:>8}",
        "conns",
        "req/s",
        "p50",
        "p90",
        "p99",
        "max",
        "non-2xx",
        "sockerr",
        "2xx+1",
        "stored",
        "RSS"
    );
    for run in &r.runs {
        let _ = writeln!(
            s,
            "{:>5} {:>9.0} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>6.1} ms {:>8} {:>8} {:>9} {:>9} {:>5.1} MB",
            run.connections,
            run.requests_per_s,
            run.p50_ms,
            run.p90_ms,
            run.p99_ms,
            run.max_ms,
            run.non_2xx,
            run.socket_errors,
            run.expected_orders,
            stored(run),
            run.host_rss_kb.unwrap_or(0) as f64 / 1024.0,
        );
    }
    s
}

/// The stored count, `?` when counting failed.
fn stored(r: &LoadRun) -> String {
    r.stored_orders.map_or("?".into(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stored_orders: Option<u64>, count_error: Option<&str>) -> LoadRun {
        LoadRun {
            connections: 16,
            requests: 10_000,
            requests_per_s: 4_999.6,
            p50_ms: 1.5,
            p90_ms: 2.5,
            p99_ms: 9.0,
            max_ms: 20.5,
            non_2xx: 0,
            socket_errors: 0,
            expected_orders: 10_001,
            stored_orders,
            count_error: count_error.map(str::to_string),
            host_rss_kb: Some(40_960),
        }
    }

    #[test]
    fn run_lines() {
        assert_eq!(
            run_line(&run(Some(10_001), None)),
            "  5000 req/s, p50 1.50 ms, p99 9.00 ms, non-2xx 0, socket errors 0, stored 10001 of 10001 expected"
        );
        assert_eq!(
            run_line(&run(None, Some("GET /orders: 500 x"))),
            "  5000 req/s, p50 1.50 ms, p99 9.00 ms, non-2xx 0, socket errors 0, stored ? of 10001 expected (GET /orders: 500 x)"
        );
    }

    #[test]
    fn table_rows() {
        let t = table(&LocalResults {
            host_binary: "target/local/orders-local".into(),
            threads: 2,
            duration_s: 30,
            runs: vec![run(Some(10_001), None), run(None, Some("e"))],
        });
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "Local host POST /orders (target/local/orders-local, wrk -t2 -d30s)"
        );
        assert_eq!(
            lines[1],
            "conns     req/s       p50       p90       p99       max  non-2xx  sockerr     2xx+1    stored      RSS"
        );
        assert_eq!(
            lines[2],
            "   16      5000   1.50 ms   2.50 ms   9.00 ms   20.5 ms        0        0     10001     10001  40.0 MB"
        );
        assert!(lines[3].contains("    10001         ?  40.0 MB"));
        assert_eq!(lines.len(), 4);
    }
}
