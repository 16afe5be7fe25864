//! Faults on demand through the executor: an after-commit fault runs the
//! task (its effect happens) and then reports the error, which Retry and
//! Catch see; a before-commit fault never runs it; decisions repeat from
//! the seed; the saga starter's duplicate executions.

mod common;

use async_trait::async_trait;
use common::{definition, executor, finished, Running, Scripted, TestDb};
use orders_core::ports::{StartOutcome, WorkflowStarter};
use orders_local::saga_workflow::{duplicate_name, saga_definition, SagaStarter};
use orders_local_sfn::faults::{FaultPoint, FaultyInvoker, TaskFaults};
use orders_local_sfn::{
    EventType, ExecutionDetail, ExecutionStatus, ListFilter, TaskContext, TaskError, TaskInvoker,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// Succeeds every time and counts: each call is an effect committed.
#[derive(Default)]
struct Counting {
    calls: Mutex<Vec<(String, u32)>>,
}

impl Counting {
    fn calls(&self) -> Vec<(String, u32)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl TaskInvoker for Counting {
    async fn invoke(&self, function: &str, _payload: Value) -> Result<Value, TaskError> {
        Err(TaskError::new("NoContext", function.to_string()))
    }

    async fn invoke_task(
        &self,
        context: &TaskContext<'_>,
        _function: &str,
        _payload: Value,
    ) -> Result<Value, TaskError> {
        let mut calls = self.calls.lock().unwrap();
        calls.push((context.execution.to_string(), context.retries));
        Ok(json!({ "call": calls.len() }))
    }
}

/// Task `T` (function `f`) retried twice on the injected errors, any other
/// error caught into `$.error`.
fn retried_task() -> Value {
    json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "f", "ResultPath": "$.result", "End": true,
              "Retry": [{"ErrorEquals": ["Sandbox.Timedout", "Lambda.Unknown"],
                         "IntervalSeconds": 1, "MaxAttempts": 2}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}
    }})
}

/// Runs `doc` once per name with `spec` (seed `seed`) around a fresh
/// [`Counting`], to each execution's end.
async fn run(
    doc: Value,
    spec: &str,
    seed: u64,
    names: &[String],
) -> (Vec<ExecutionDetail>, Arc<Counting>) {
    let counting = Arc::new(Counting::default());
    let faults: TaskFaults = spec.parse().unwrap();
    let invoker = Arc::new(FaultyInvoker::new(counting.clone(), faults, seed));
    let db = TestDb::new();
    let running = Running::spawn(executor(db.open(), definition(doc), invoker, 0.001));
    for name in names {
        running.executor.start(name, json!({})).await.unwrap();
    }
    let mut details = Vec::new();
    for name in names {
        details.push(finished(&running.executor, name).await);
    }
    running.stop().await;
    (details, counting)
}

async fn run_one(doc: Value, spec: &str, seed: u64) -> (ExecutionDetail, Arc<Counting>) {
    let (mut details, counting) = run(doc, spec, seed, &["x".to_string()]).await;
    (details.remove(0), counting)
}

fn events(d: &ExecutionDetail, t: EventType) -> Vec<&orders_local_sfn::HistoryEvent> {
    d.history.iter().filter(|e| e.event_type == t).collect()
}

#[tokio::test]
async fn after_commit_runs_the_task_then_reports_the_error_to_retry_and_catch() {
    let (d, counting) = run_one(retried_task(), "f:after-commit:Sandbox.Timedout:1", 0).await;
    // Every attempt ran (three effects), and every one was reported failed.
    assert_eq!(
        counting.calls(),
        [
            ("x".to_string(), 0),
            ("x".to_string(), 1),
            ("x".to_string(), 2)
        ]
    );
    assert_eq!(events(&d, EventType::RetryScheduled).len(), 2);
    assert!(events(&d, EventType::TaskSucceeded).is_empty());
    let failed = events(&d, EventType::TaskFailed);
    assert_eq!(failed.len(), 3);
    for e in failed {
        assert_eq!(e.error.as_deref(), Some("Sandbox.Timedout"));
        let cause: Value = serde_json::from_str(e.cause.as_deref().unwrap()).unwrap();
        assert_eq!(cause["errorType"], "Sandbox.Timedout");
        let message = cause["errorMessage"].as_str().unwrap();
        assert!(
            message.contains("injected") && message.contains("committed"),
            "{message}"
        );
    }
    assert_eq!(d.visited_states(), ["T", "Caught"]);
    assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    assert_eq!(
        d.execution.output.unwrap()["error"]["Error"],
        "Sandbox.Timedout"
    );
}

#[tokio::test]
async fn a_retry_after_an_after_commit_fault_runs_the_task_again_and_succeeds() {
    // A seed whose fault strikes the first attempt only.
    let spec: TaskFaults = "f:after-commit:Lambda.Unknown:0.5".parse().unwrap();
    let strikes = |seed, retries| {
        let context = TaskContext {
            execution: "x",
            state: "T",
            retries,
        };
        spec.firing(seed, FaultPoint::AfterCommit, &context, "f")
            .is_some()
    };
    let seed = (0..1000)
        .find(|&s| strikes(s, 0) && !strikes(s, 1))
        .expect("a seed that faults attempt 0 only");

    let (d, counting) = run_one(retried_task(), &spec.to_string(), seed).await;
    assert_eq!(counting.calls().len(), 2, "the effect happened twice");
    let failed = events(&d, EventType::TaskFailed);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error.as_deref(), Some("Lambda.Unknown"));
    assert_eq!(events(&d, EventType::RetryScheduled).len(), 1);
    assert_eq!(d.visited_states(), ["T"]);
    assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    // The result of the second run, not of the withheld first.
    assert_eq!(d.execution.output, Some(json!({"result": {"call": 2}})));
}

#[tokio::test]
async fn before_commit_fails_without_running_the_task() {
    let (d, counting) = run_one(retried_task(), "f:before-commit:Lambda.Unknown:1", 0).await;
    assert!(counting.calls().is_empty(), "{:?}", counting.calls());
    let failed = events(&d, EventType::TaskFailed);
    assert_eq!(failed.len(), 3);
    assert!(failed
        .iter()
        .all(|e| e.error.as_deref() == Some("Lambda.Unknown")
            && e.cause.as_deref().unwrap().contains("did not run")));
    assert_eq!(d.visited_states(), ["T", "Caught"]);

    // An error no retrier names goes straight to the catcher.
    let (d, counting) = run_one(retried_task(), "*:before-commit:Other.Error:1", 0).await;
    assert!(counting.calls().is_empty());
    assert_eq!(events(&d, EventType::TaskFailed).len(), 1);
    assert_eq!(d.execution.output.unwrap()["error"]["Error"], "Other.Error");
}

#[tokio::test]
async fn faults_for_other_tasks_or_at_zero_change_nothing() {
    for spec in [
        "g:before-commit:Lambda.Unknown:1,g:after-commit:Lambda.Unknown:1",
        "*:before-commit:Lambda.Unknown:0,f:after-commit:Sandbox.Timedout:0",
    ] {
        let (d, counting) = run_one(retried_task(), spec, 0).await;
        assert_eq!(counting.calls().len(), 1, "{spec}");
        assert!(events(&d, EventType::TaskFailed).is_empty(), "{spec}");
        assert_eq!(d.execution.output, Some(json!({"result": {"call": 1}})));
    }
}

#[tokio::test]
async fn a_seed_replays_the_same_faults_and_another_seed_differs() {
    // No retry: an execution is caught exactly when its one attempt faults.
    let doc = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "f", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]},
        "Caught": {"Type": "Succeed"}
    }});
    let names: Vec<String> = (0..24).map(|i| format!("order-{i}")).collect();
    let caught = |details: Vec<ExecutionDetail>| -> Vec<bool> {
        details
            .iter()
            .map(|d| d.visited_states().contains(&"Caught".to_string()))
            .collect()
    };
    let spec = "*:after-commit:Sandbox.Timedout:0.5";
    let (first, _) = run(doc.clone(), spec, 11, &names).await;
    let (again, _) = run(doc.clone(), spec, 11, &names).await;
    let (other, _) = run(doc, spec, 12, &names).await;
    let (first, again, other) = (caught(first), caught(again), caught(other));
    assert_eq!(first, again);
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
    assert_ne!(first, other);
}

#[tokio::test]
async fn the_saga_starter_starts_a_duplicate_named_tilde_dup_with_the_same_input() {
    let db = TestDb::new();
    let exec = executor(
        db.open(),
        saga_definition().unwrap(),
        Scripted::new([]),
        0.001,
    );
    let order_id = uuid::Uuid::now_v7();
    let starter = SagaStarter::with_duplicates(exec.clone(), 1.0, 0);
    assert_eq!(
        starter.start_saga(order_id).await.unwrap(),
        StartOutcome::Started
    );
    // A second start (a redelivered event) starts neither again.
    assert_eq!(
        starter.start_saga(order_id).await.unwrap(),
        StartOutcome::AlreadyStarted
    );
    let dup = duplicate_name(order_id);
    assert_eq!(dup, format!("{order_id}~dup"));
    let input = orders_core::usecases::saga::saga_input(order_id);
    for name in [order_id.to_string(), dup.clone()] {
        let d = exec.get(&name).await.unwrap().unwrap();
        assert_eq!(d.execution.input, input, "{name}");
        assert_eq!(d.execution.current_state.as_deref(), Some("Charge"));
    }
    let mut listed: Vec<String> = exec
        .list(ListFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    listed.sort();
    let mut want = vec![order_id.to_string(), dup];
    want.sort();
    assert_eq!(listed, want);

    // P = 0 (and the plain starter): the primary only.
    for starter in [
        SagaStarter::with_duplicates(exec.clone(), 0.0, 0),
        SagaStarter::new(exec.clone()),
    ] {
        let id = uuid::Uuid::now_v7();
        starter.start_saga(id).await.unwrap();
        assert!(exec.get(&id.to_string()).await.unwrap().is_some());
        assert!(exec.get(&duplicate_name(id)).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn which_orders_get_a_duplicate_depends_on_the_seed_and_order_only() {
    let ids: Vec<uuid::Uuid> = (0..40u128).map(uuid::Uuid::from_u128).collect();
    let duplicated = |seed, reversed: bool| {
        let ids = ids.clone();
        async move {
            let db = TestDb::new();
            let exec = executor(
                db.open(),
                saga_definition().unwrap(),
                Scripted::new([]),
                0.001,
            );
            let starter = SagaStarter::with_duplicates(exec.clone(), 0.5, seed);
            // The order of the starts must not matter.
            let mut order = ids.clone();
            if reversed {
                order.reverse();
            }
            for id in &order {
                starter.start_saga(*id).await.unwrap();
            }
            let mut out = Vec::new();
            for id in &ids {
                out.push(exec.get(&duplicate_name(*id)).await.unwrap().is_some());
            }
            out
        }
    };
    let a = duplicated(5, false).await;
    assert_eq!(a, duplicated(5, true).await);
    assert!(a.contains(&true) && a.contains(&false), "{a:?}");
    assert_ne!(a, duplicated(6, false).await);
}
