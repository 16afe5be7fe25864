//! The runtime: crash and resume, retry waits across restarts, names,
//! bounded concurrency, the read API and the saga starter.

mod common;

use async_trait::async_trait;
use common::{definition, executor, finished, Answer, Running, Scripted, TestDb};
use orders_core::ports::{StartOutcome, WorkflowStarter};
use orders_local_sfn::{
    EventType, ExecutionStatus, Executor, ExecutorOptions, ListFilter, TaskError, TaskInvoker,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn two_tasks() -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "a", "ResultPath": "$.a", "Next": "B",
              "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 2}]},
        "B": {"Type": "Task", "Resource": "b", "ResultPath": "$.b", "End": true}
    }})
}

/// A runner whose task is aborted, as a kill -9 would end it: drivers stop
/// wherever they are, nothing more is committed.
fn crashable(executor: Executor) -> tokio::task::JoinHandle<()> {
    let (stop, rx) = watch::channel(false);
    tokio::spawn(async move {
        let _keep = stop;
        executor.run(rx).await.unwrap();
    })
}

async fn wait_for_event(executor: &Executor, name: &str, kind: EventType) {
    for _ in 0..2_000 {
        let d = executor.get(name).await.unwrap().unwrap();
        if d.history.iter().any(|e| e.event_type == kind) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("no {kind:?} event");
}

#[tokio::test]
async fn a_crash_mid_task_resumes_at_the_unfinished_state() {
    let db = TestDb::new();
    let first = Scripted::new([
        ("A", vec![Answer::Output(json!(1))]),
        (
            "B",
            vec![Answer::Slow(
                Duration::from_secs(60),
                Box::new(Answer::Output(json!("never"))),
            )],
        ),
    ]);
    let exec = executor(db.open(), definition(two_tasks()), first.clone(), 0.001);
    exec.start("x", json!({"k": 1})).await.unwrap();
    let runner = crashable(exec.clone());
    wait_for_event(&exec, "x", EventType::TaskScheduled).await;
    while first.calls().len() < 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    runner.abort();
    let _ = runner.await;
    drop(exec);

    // Reopen the file: the execution is RUNNING in B, and finishes there.
    let second = Scripted::new([("B", vec![Answer::Output(json!(2))])]);
    let exec = executor(db.open(), definition(two_tasks()), second.clone(), 0.001);
    let before = exec.get("x").await.unwrap().unwrap();
    assert_eq!(before.execution.status, ExecutionStatus::Running);
    assert_eq!(before.execution.current_state.as_deref(), Some("B"));
    let running = Running::spawn(exec);
    let d = finished(&running.executor, "x").await;
    running.stop().await;
    assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    assert_eq!(d.execution.output, Some(json!({"k": 1, "a": 1, "b": 2})));
    assert_eq!(d.visited_states(), ["A", "B"]);
    // A ran once; B's interrupted attempt left no trace and ran again.
    assert_eq!(
        second
            .calls()
            .iter()
            .map(|c| c.state.as_str())
            .collect::<Vec<_>>(),
        ["B"]
    );
    let scheduled = d
        .history
        .iter()
        .filter(|e| e.event_type == EventType::TaskScheduled)
        .count();
    assert_eq!(scheduled, 2);
}

#[tokio::test]
async fn a_retry_wait_resumes_with_only_its_remainder() {
    let db = TestDb::new();
    // IntervalSeconds 3 at scale 0.5: a 1.5 s wait.
    let first = Scripted::new([(
        "A",
        vec![Answer::Error(TaskError::new("TransientError", "x"))],
    )]);
    let exec = executor(db.open(), definition(two_tasks()), first, 0.5);
    exec.start("x", json!({})).await.unwrap();
    let runner = crashable(exec.clone());
    wait_for_event(&exec, "x", EventType::RetryScheduled).await;
    runner.abort();
    let _ = runner.await;
    let due = exec
        .get("x")
        .await
        .unwrap()
        .unwrap()
        .history
        .iter()
        .find_map(|e| e.due_at)
        .unwrap();
    drop(exec);
    tokio::time::sleep(Duration::from_millis(600)).await;

    let second = Scripted::new([
        ("A", vec![Answer::Output(json!(1))]),
        ("B", vec![Answer::Output(json!(2))]),
    ]);
    let running = Running::spawn(executor(
        db.open(),
        definition(two_tasks()),
        second.clone(),
        0.5,
    ));
    let d = finished(&running.executor, "x").await;
    running.stop().await;
    assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    // The retry ran at its due time, not a full wait after the restart
    // (which would be 600 ms later).
    let retried_at = second.calls()[0].at_ms;
    let due_ms = due.timestamp_millis();
    assert!(
        retried_at >= due_ms - 1 && retried_at < due_ms + 400,
        "retried {} ms after due",
        retried_at - due_ms
    );
}

#[tokio::test]
async fn a_name_starts_once_and_a_start_before_the_runner_is_picked_up() {
    let db = TestDb::new();
    let invoker = Scripted::new([
        ("A", vec![Answer::Output(json!(1))]),
        ("B", vec![Answer::Output(json!(2))]),
    ]);
    let exec = executor(db.open(), definition(two_tasks()), invoker, 0.001);
    assert_eq!(
        exec.start("x", json!({})).await.unwrap(),
        StartOutcome::Started
    );
    assert_eq!(
        exec.start("x", json!({"other": 1})).await.unwrap(),
        StartOutcome::AlreadyStarted
    );
    let running = Running::spawn(exec);
    let d = finished(&running.executor, "x").await;
    assert_eq!(d.execution.input, json!({}));
    assert_eq!(
        running.executor.start("x", json!({})).await.unwrap(),
        StartOutcome::AlreadyStarted
    );
    assert!(matches!(
        running.executor.run(watch::channel(false).1).await,
        Err(orders_local_sfn::ExecutorError::AlreadyRunning)
    ));
    running.stop().await;
}

/// Counts calls in flight.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

#[async_trait]
impl TaskInvoker for Gauge {
    async fn invoke(&self, _function: &str, payload: Value) -> Result<Value, TaskError> {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        Ok(payload)
    }
}

#[tokio::test]
async fn executions_run_concurrently_within_the_bound() {
    let db = TestDb::new();
    let gauge = Arc::new(Gauge::default());
    let options = ExecutorOptions {
        concurrency: 3,
        wait_scale: 0.001,
    };
    let exec = Executor::new(db.open(), definition(two_tasks()), gauge.clone(), options);
    let running = Running::spawn(exec);
    for i in 0..30 {
        running
            .executor
            .start(&format!("e{i:02}"), json!({"i": i}))
            .await
            .unwrap();
    }
    for i in 0..30 {
        let d = finished(&running.executor, &format!("e{i:02}")).await;
        assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    }
    running.stop().await;
    assert_eq!(
        gauge.max.load(Ordering::SeqCst),
        3,
        "three at a time, not more, not fewer"
    );
}

#[tokio::test]
async fn the_read_api_lists_newest_first_filters_and_serializes_camel_case() {
    let db = TestDb::new();
    let doc = json!({"StartAt": "P", "States": {"P": {"Type": "Choice", "Choices": [
        {"Variable": "$.fail", "BooleanEquals": true, "Next": "F"}], "Default": "S"},
        "S": {"Type": "Succeed"}, "F": {"Type": "Fail", "Error": "E", "Cause": "c"}}});
    let exec = executor(db.open(), definition(doc), Scripted::new([]), 0.001);
    for (name, fail) in [("a", false), ("b", true), ("c", false)] {
        exec.start(name, json!({"fail": fail})).await.unwrap();
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let names = |v: Vec<orders_local_sfn::ExecutionSummary>| {
        v.into_iter().map(|e| e.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(exec.list(ListFilter::default()).await.unwrap()),
        ["c", "b", "a"]
    );
    let failed = ListFilter {
        status: Some(ExecutionStatus::Failed),
        limit: 10,
    };
    assert_eq!(names(exec.list(failed).await.unwrap()), ["b"]);
    assert_eq!(
        names(
            exec.list(ListFilter {
                status: None,
                limit: 1
            })
            .await
            .unwrap()
        ),
        ["c"]
    );
    let detail = exec.get("b").await.unwrap().unwrap();
    let doc = serde_json::to_value(&detail).unwrap();
    assert_eq!(doc["status"], "FAILED");
    assert_eq!(doc["stateMachine"], "test");
    assert_eq!(doc["error"], "E");
    assert!(doc["startedAt"].is_string() && doc["stoppedAt"].is_string());
    assert_eq!(doc["history"][1]["type"], "StateEntered");
    assert_eq!(doc["history"][1]["state"], "P");
    assert_eq!(
        doc["history"].as_array().unwrap().last().unwrap()["type"],
        "ExecutionFailed"
    );
    assert!(exec.get("nope").await.unwrap().is_none());
}

#[tokio::test]
async fn the_saga_starter_names_the_execution_after_the_order() {
    let db = TestDb::new();
    let def = orders_local::saga_workflow::saga_definition().unwrap();
    let exec = executor(db.open(), def, Scripted::new([]), 0.001);
    let starter = orders_local::saga_workflow::SagaStarter::new(exec.clone());
    let order_id = uuid::Uuid::now_v7();
    assert_eq!(
        starter.start_saga(order_id).await.unwrap(),
        StartOutcome::Started
    );
    assert_eq!(
        starter.start_saga(order_id).await.unwrap(),
        StartOutcome::AlreadyStarted
    );
    let d = exec.get(&order_id.to_string()).await.unwrap().unwrap();
    assert_eq!(
        d.execution.input,
        orders_core::usecases::saga::saga_input(order_id)
    );
    assert_eq!(d.execution.current_state.as_deref(), Some("Charge"));
}
