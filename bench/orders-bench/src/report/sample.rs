//! Results of every kind for the report's tests.

use super::zip::{ZipEntry, ZipResults};
use super::Results;
use crate::drain::DrainResults;
use crate::lambda::results::InvocationResult;
use crate::lambda::{FunctionResult, LambdaResults};
use crate::local::{LoadRun, LocalResults};
use crate::stats::Summary;

/// One result of every kind: create-order meets its targets, get-order
/// never initialised, one zip is too big, the local run has errors.
pub fn sample() -> Results {
    let ok_call = InvocationResult {
        label: "create #1".into(),
        expected: "201".into(),
        status: 201,
        ms: 3.0,
        ok: true,
        problems: Vec::new(),
        order_id: None,
    };
    let function = |name: &str, init: &[f64], failures: &[&str]| FunctionResult {
        name: name.into(),
        binary: format!("/t/{name}"),
        binary_bytes: 5_000_000,
        init_ms: init.to_vec(),
        init: Summary::of(init),
        init_failures: failures.iter().map(|s| s.to_string()).collect(),
        rss_after_init_kb: init.first().map(|_| 6_000),
        rss_peak_kb: init.first().map(|_| 8_192),
        invocations: if init.is_empty() {
            Vec::new()
        } else {
            vec![ok_call.clone()]
        },
    };
    let zip_entry = |name: &str, zip_bytes: u64| ZipEntry {
        name: name.into(),
        bootstrap: format!("cdk.out/asset.{name}/bootstrap"),
        bootstrap_bytes: 5_600_000,
        zip_bytes,
        machine: "aarch64".into(),
    };
    Results {
        lambda: Some(LambdaResults {
            backend: "moto http://127.0.0.1:5000".into(),
            functions: vec![
                function("create-order", &[4.0, 5.0, 6.0], &[]),
                function("get-order", &[], &["exited during init: | pipe\nnext"]),
            ],
        }),
        zip: Some(ZipResults {
            origin: "cdk.out".into(),
            functions: vec![
                zip_entry("create-order", 2_700_000),
                zip_entry("get-order", 3_000_001),
            ],
            error: None,
        }),
        local: Some(LocalResults {
            host_binary: "target/local/orders-local".into(),
            threads: 2,
            duration_s: 30,
            runs: vec![LoadRun {
                connections: 16,
                requests: 90_000,
                requests_per_s: 3_000.0,
                p50_ms: 4.0,
                p90_ms: 8.0,
                p99_ms: 12.0,
                max_ms: 40.0,
                non_2xx: 3,
                socket_errors: 0,
                expected_orders: 89_998,
                stored_orders: None,
                count_error: Some("GET /orders: 500 a|b".into()),
                host_rss_kb: Some(51_200),
            }],
        }),
        drained: Some(DrainResults {
            host_binary: "target/local/orders-local".into(),
            orders: 300,
            processors: 2,
            processing_s: 0.25,
            processing_per_s: 1_200.0,
            completed_s: 0.4,
            completed_per_s: 750.0,
            notified_s: 0.5,
            notified_per_s: 600.0,
            completed_orders: 300,
        }),
        peers: None,
    }
}
