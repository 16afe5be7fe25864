//! The console output of `orders-bench lambda` (and of `report`): one line
//! per invocation while it runs, then a table of every function.

use std::fmt::Write as _;

use super::results::{FunctionResult, InvocationResult, LambdaResults};

/// The invocations of one function, on stderr.
pub fn print_function(fr: &FunctionResult) {
    for inv in &fr.invocations {
        eprintln!("{}", invocation_line(inv));
    }
}

/// The summary table, on stdout.
pub fn print_table(r: &LambdaResults) {
    print!("{}", table(r));
}

fn invocation_line(inv: &InvocationResult) -> String {
    let mark = if inv.ok { "ok " } else { "BAD" };
    format!(
        "  {mark} {:<40} {:>3} (expected {:>3}) {:>8.1} ms {}",
        inv.label,
        inv.status,
        inv.expected,
        inv.ms,
        inv.problems.join("; ")
    )
}

fn table(r: &LambdaResults) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Lambda functions (x86_64 host build, DynamoDB backend: {})",
        r.backend
    );
    let _ = writeln!(
        s,
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8} {:>11}",
        "function",
        "init p50",
        "init p90",
        "init min",
        "init max",
        "RSS init",
        "RSS peak",
        "invokes",
        "binary"
    );
    for f in &r.functions {
        let ms = |pick: fn(&crate::stats::Summary) -> f64| {
            f.init
                .as_ref()
                .map_or("-".into(), |s| format!("{:.2}", pick(s)))
        };
        let _ = writeln!(
            s,
            "{:<14} {:>6} ms {:>6} ms {:>6} ms {:>6} ms {:>7} MB {:>7} MB {:>4}/{:<3} {:>8} MB",
            f.name,
            ms(|s| s.median),
            ms(|s| s.p90),
            ms(|s| s.min),
            ms(|s| s.max),
            kb_to_mb(f.rss_after_init_kb),
            kb_to_mb(f.rss_peak_kb),
            f.invocations_ok(),
            f.invocations.len(),
            format!("{:.2}", f.binary_bytes as f64 / 1e6),
        );
    }
    s
}

fn kb_to_mb(kb: Option<u64>) -> String {
    kb.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn function(init: &[f64]) -> FunctionResult {
        FunctionResult {
            name: "create-order".into(),
            binary: "/t/create-order".into(),
            binary_bytes: 5_600_000,
            init_ms: init.to_vec(),
            init: Summary::of(init),
            init_failures: Vec::new(),
            rss_after_init_kb: Some(6144),
            rss_peak_kb: None,
            invocations: vec![
                InvocationResult {
                    label: "create #1".into(),
                    expected: "201".into(),
                    status: 201,
                    ms: 3.12,
                    ok: true,
                    problems: Vec::new(),
                    order_id: Some("o-1".into()),
                },
                InvocationResult {
                    label: "create invalid body".into(),
                    expected: "4xx".into(),
                    status: 500,
                    ms: 1.0,
                    ok: false,
                    problems: vec!["expected 4xx, got 500: x".into(), "y".into()],
                    order_id: None,
                },
            ],
        }
    }

    #[test]
    fn table_rows() {
        let r = LambdaResults {
            backend: "none (closed loopback port)".into(),
            functions: vec![function(&[2.0, 4.0]), function(&[])],
        };
        let t = table(&r);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[0],
            "Lambda functions (x86_64 host build, DynamoDB backend: none (closed loopback port))"
        );
        assert_eq!(
            lines[1],
            "function        init p50  init p90  init min  init max   RSS init   RSS peak  invokes      binary"
        );
        assert_eq!(
            lines[2],
            "create-order     3.00 ms   4.00 ms   2.00 ms   4.00 ms     6.0 MB       - MB    1/2       5.60 MB"
        );
        assert_eq!(
            lines[3],
            "create-order        - ms      - ms      - ms      - ms     6.0 MB       - MB    1/2       5.60 MB"
        );
    }

    #[test]
    fn invocation_lines() {
        let f = function(&[]);
        assert_eq!(
            invocation_line(&f.invocations[0]),
            format!("  ok  {:<40} 201 (expected 201)      3.1 ms ", "create #1")
        );
        assert_eq!(
            invocation_line(&f.invocations[1]),
            format!(
                "  BAD {:<40} 500 (expected 4xx)      1.0 ms expected 4xx, got 500: x; y",
                "create invalid body"
            )
        );
    }
}
