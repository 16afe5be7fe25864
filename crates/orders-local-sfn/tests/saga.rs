//! The saga file itself: every scenario in `tests/asl-scenarios` (input,
//! scripted task results per state, expected visited states and output)
//! through this executor, and through the npm `aws-local-stepfunctions`
//! interpreter (`scripts/asl-check.mjs`, which also validates the file with
//! `asl-validator`): both must meet the expectations and agree exactly,
//! task calls included. Without node and the npm packages the second half
//! is skipped with the reason printed, unless `ORDERS_REQUIRE_NODE=1`.

mod common;

use common::{finished, Answer, Running, Scripted, TestDb};
use orders_local_sfn::{Definition, ExecutionStatus, Executor, ExecutorOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn scenarios() -> Vec<(String, Value)> {
    let dir = repo_root().join("tests/asl-scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(repo_root())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                rel,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect()
}

/// Runs one scenario through the Rust executor; the result has the shape
/// the node script prints.
async fn run_rust(scenario: &Value) -> Value {
    let text = std::fs::read_to_string(repo_root().join(scenario["definition"].as_str().unwrap()))
        .unwrap();
    let def = Definition::parse(
        "order-saga",
        &text,
        &common::substitutions(&scenario["substitutions"]),
    )
    .unwrap();
    let invoker = Scripted::new([]);
    for (state, answers) in scenario["tasks"].as_object().unwrap() {
        invoker.push(
            state,
            answers
                .as_array()
                .unwrap()
                .iter()
                .map(Answer::from_json)
                .collect(),
        );
    }
    let db = TestDb::new();
    let options = ExecutorOptions {
        concurrency: 1,
        wait_scale: 0.001,
    };
    let running = Running::spawn(Executor::new(db.open(), def, invoker.clone(), options));
    running
        .executor
        .start("scenario", scenario["input"].clone())
        .await
        .unwrap();
    let d = finished(&running.executor, "scenario").await;
    running.stop().await;
    let status = match d.execution.status {
        ExecutionStatus::Succeeded => "SUCCEEDED",
        ExecutionStatus::Failed => "FAILED",
        ExecutionStatus::TimedOut => "TIMED_OUT",
        ExecutionStatus::Running => "RUNNING",
    };
    let calls: Vec<Value> = invoker
        .calls()
        .into_iter()
        .map(|c| json!({"state": c.state, "function": c.function, "payload": c.payload}))
        .collect();
    json!({
        "status": status,
        "visitedStates": d.visited_states(),
        "output": d.execution.output,
        "error": d.execution.error,
        "cause": d.execution.cause,
        "calls": calls,
    })
}

fn check_expected(file: &str, result: &Value, expected: &Value) {
    for (key, want) in expected.as_object().unwrap() {
        assert_eq!(&result[key], want, "{file}: {key}");
    }
}

const COMPARED: [&str; 6] = [
    "status",
    "visitedStates",
    "output",
    "error",
    "cause",
    "calls",
];

#[tokio::test]
async fn the_saga_scenarios_agree_with_aws_local_stepfunctions() {
    let scenarios = scenarios();
    assert!(
        scenarios.len() >= 13,
        "the six saga paths and the seven Retry and Catch paths at least"
    );
    let mut rust = Vec::new();
    for (file, scenario) in &scenarios {
        let result = run_rust(scenario).await;
        check_expected(file, &result, &scenario["expected"]);
        rust.push((file.clone(), result));
    }

    let Some(report) = node_report() else { return };
    for v in report["validated"].as_array().unwrap() {
        assert_eq!(v["valid"], true, "asl-validator: {v}");
    }
    let node = report["scenarios"].as_array().unwrap();
    assert_eq!(node.len(), rust.len());
    for (file, ours) in &rust {
        let theirs = node
            .iter()
            .find(|s| s["file"] == file.as_str())
            .unwrap_or_else(|| panic!("{file} not run by node"));
        assert_eq!(
            theirs["problems"],
            json!([]),
            "{file}: aws-local-stepfunctions vs the expectations"
        );
        for key in COMPARED {
            assert_eq!(
                ours[key], theirs[key],
                "{file}: {key} differs between the interpreters"
            );
        }
    }
    println!(
        "{} scenarios: the Rust executor and aws-local-stepfunctions agree",
        rust.len()
    );
}

/// The node script's report, or `None` (with the reason printed) when node
/// or the npm packages are missing and `ORDERS_REQUIRE_NODE` is not 1.
fn node_report() -> Option<Value> {
    let root = repo_root();
    let required = std::env::var("ORDERS_REQUIRE_NODE").is_ok_and(|v| v == "1");
    let skip = |why: String| {
        assert!(!required, "ORDERS_REQUIRE_NODE=1 but {why}");
        println!("skipping the aws-local-stepfunctions cross-check: {why}");
        None
    };
    if !root.join("node_modules/aws-local-stepfunctions").exists()
        || !root.join("node_modules/asl-validator").exists()
    {
        return skip(
            "node_modules lacks asl-validator or aws-local-stepfunctions (run npm ci)".into(),
        );
    }
    let out = match Command::new("node")
        .arg(root.join("scripts/asl-check.mjs"))
        .current_dir(&root)
        .output()
    {
        Ok(out) => out,
        Err(e) => return skip(format!("node could not be run: {e}")),
    };
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "asl-check.mjs printed no report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "asl-check.mjs failed: {report:#}");
    Some(report)
}
