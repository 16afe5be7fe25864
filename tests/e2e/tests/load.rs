//! The load tool, CI-sized: `orders-load` spawns the local host on a fresh
//! database, sends 300 mixed orders (every payment outcome, a SKU that runs
//! out) from 16 clients within 15 s, waits for the saga, and exits 0 only
//! when nothing was lost, double-charged or broke the stock invariant.
//! Its figures are printed, not asserted (docs/load.md).

use orders_e2e_tests::{local_host_binary, workspace_binary};
use serde_json::Value;
use std::process::Command;

#[test]
fn three_hundred_mixed_orders_lose_nothing_and_charge_once() {
    let out = Command::new(workspace_binary("orders-load"))
        .args(["--orders", "300", "--duration", "15", "--concurrency", "16"])
        .args(["--settle-timeout", "120"])
        .arg("--local-binary")
        .arg(local_host_binary())
        .output()
        .expect("orders-load runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().expect("a JSON line");
    let j: Value = serde_json::from_str(last).unwrap();
    for zero in [
        "lost",
        "doubleCharged",
        "stockViolations",
        "otherViolations",
    ] {
        assert_eq!(j[zero], 0, "{zero}: {j}");
    }
    assert_eq!(j["accepted"], j["terminal"], "{j}");
    assert_eq!(j["accepted"], 300, "{j}");
    for path in orders_load::mix::PATHS {
        assert!(
            j["outcomes"][path].as_u64().unwrap_or(0) > 0,
            "no {path}: {j}"
        );
    }
}
