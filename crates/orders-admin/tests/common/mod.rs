//! What the binary's tests share: running it, and finding moto.
#![allow(dead_code)]

use serde_json::Value;
use std::process::{Command, Output};

/// Runs the binary with a clean environment for the settings it reads.
pub fn admin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_orders-admin"));
    cmd.args(args);
    for var in [
        "ORDERS_DB",
        "RUST_LOG",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("orders-admin runs")
}

pub fn ok_json(args: &[&str], env: &[(&str, &str)]) -> Value {
    let out = admin(args, env);
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn ok_text(args: &[&str], env: &[(&str, &str)]) -> String {
    let out = admin(args, env);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The moto endpoint (`ORDERS_TEST_MOTO_ENDPOINT`, else the
/// `ORDERS_TEST_DYNAMODB_ENDPOINT` scripts/test-all.sh points at moto), or
/// `None` after saying why the test is skipped.
pub fn moto(test: &str) -> Option<String> {
    let endpoint = ["ORDERS_TEST_MOTO_ENDPOINT", "ORDERS_TEST_DYNAMODB_ENDPOINT"]
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()));
    match endpoint {
        Some(e) => {
            let e = e.trim().trim_end_matches('/').to_string();
            assert!(
                e.starts_with("http://127.0.0.1:") || e.starts_with("http://localhost:"),
                "{e} is not a loopback URL"
            );
            Some(e)
        }
        None => {
            if ["ORDERS_REQUIRE_MOTO", "ORDERS_REQUIRE_DYNAMODB"]
                .iter()
                .any(|r| std::env::var(r).is_ok_and(|v| v == "1"))
            {
                panic!("moto is required but ORDERS_TEST_MOTO_ENDPOINT is not set");
            }
            eprintln!("{test}: skipped: no moto endpoint (set ORDERS_TEST_MOTO_ENDPOINT)");
            None
        }
    }
}

/// A number unlikely to repeat, for resource names.
pub fn uuid_ish() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
