//! What `report` prints: the table of every step that left results, then
//! the targets.

use std::fmt::Write as _;

use super::targets::Verdict;
use super::zip::ZipResults;
use super::Results;
use crate::{drain, lambda, local};

/// Each step's table, a blank line after each.
pub fn print_tables(r: &Results) {
    if let Some(l) = &r.lambda {
        lambda::print_table(l);
        println!();
    }
    if let Some(z) = &r.zip {
        print!("{}", zip_table(z));
        println!();
    }
    if let Some(l) = &r.local {
        local::print_table(l);
        println!();
    }
    if let Some(d) = &r.drained {
        drain::print_table(d);
        println!();
    }
    if let Some(p) = &r.peers {
        crate::peers::print_table(p);
    }
}

/// `Targets` and a line per verdict.
pub fn targets(verdicts: &[Verdict]) -> String {
    let mut s = String::from("Targets\n");
    for v in verdicts {
        let _ = writeln!(
            s,
            "  {:<5} {:<44} {:<26} {}",
            v.verdict, v.figure, v.target, v.measured
        );
    }
    s
}

fn zip_table(z: &ZipResults) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "arm64 packages (from {})", z.origin);
    if let Some(e) = &z.error {
        let _ = writeln!(s, "  not measured: {e}");
    }
    let _ = writeln!(
        s,
        "{:<14} {:>12} {:>12} {:>9}  bootstrap",
        "function", "bootstrap B", "zip B", "zip MB"
    );
    for f in &z.functions {
        let _ = writeln!(
            s,
            "{:<14} {:>12} {:>12} {:>9.2}  {} ({})",
            f.name,
            f.bootstrap_bytes,
            f.zip_bytes,
            f.zip_bytes as f64 / 1e6,
            f.bootstrap,
            f.machine
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::sample::sample;
    use super::super::targets::verdicts;
    use super::*;

    #[test]
    fn zip_rows() {
        let r = sample();
        let t = zip_table(r.zip.as_ref().unwrap());
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "arm64 packages (from cdk.out)");
        assert_eq!(
            lines[1],
            "function        bootstrap B        zip B    zip MB  bootstrap"
        );
        assert_eq!(
            lines[2],
            "create-order        5600000      2700000      2.70  cdk.out/asset.create-order/bootstrap (aarch64)"
        );
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn target_lines() {
        let t = targets(&verdicts(&sample()));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "Targets");
        assert_eq!(
            lines[1],
            format!(
                "  pass  {:<44} {:<26} p50 5.00 ms, p90 6.00 ms (n=3)",
                "init create-order (x86_64 host build)", "p90 <= 10 ms"
            )
        );
        assert!(lines[2].starts_with("  MISS  init get-order"));
    }
}
