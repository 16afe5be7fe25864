//! Retry timing, MaxAttempts, catch order, error-name matching, timeouts.

mod common;

use common::{run_one, Answer, Scripted};
use orders_local_sfn::{EventType, ExecutionStatus, TaskError};
use serde_json::{json, Value};
use std::time::Duration;

fn transient() -> Answer {
    Answer::Error(TaskError::new("TransientError", "provider unavailable"))
}

/// One task `T` then `Done`, with a Succeed state for each catcher's Next.
fn task(retry: Value, catch: Value) -> Value {
    let mut states = json!({
        "T": {"Type": "Task", "Resource": "f", "Retry": retry, "Catch": catch, "Next": "Done"},
        "Done": {"Type": "Succeed"}
    });
    for c in catch.as_array().unwrap() {
        states[c["Next"].as_str().unwrap()] = json!({"Type": "Succeed"});
    }
    json!({"StartAt": "T", "States": states})
}

#[tokio::test]
async fn retries_wait_interval_times_backoff_and_the_schedule_is_recorded() {
    // IntervalSeconds 2, BackoffRate 2: waits of 2 s and 4 s; at a scale
    // of 0.01, 20 ms and 40 ms.
    let doc = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "f", "End": true,
        "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 2}]
    }}});
    let invoker = Scripted::new([(
        "T",
        vec![transient(), transient(), Answer::Output(json!("ok"))],
    )]);
    let db = common::TestDb::new();
    let running = common::Running::spawn(common::executor(
        db.open(),
        common::definition(doc),
        invoker.clone(),
        0.01,
    ));
    running.executor.start("x", json!({})).await.unwrap();
    let d = common::finished(&running.executor, "x").await;
    running.stop().await;
    assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    let waits: Vec<i64> = d
        .history
        .iter()
        .filter(|e| e.event_type == EventType::RetryScheduled)
        .map(|e| (e.due_at.unwrap() - e.timestamp).num_milliseconds())
        .collect();
    assert_eq!(waits, [20, 40]);
    let calls = invoker.calls();
    assert_eq!(calls.len(), 3);
    let gaps: Vec<Duration> = calls.windows(2).map(|w| w[1].at - w[0].at).collect();
    // Due times are whole milliseconds: a wait may end up to 1 ms early.
    assert!(
        gaps[0] >= Duration::from_millis(19) && gaps[1] >= Duration::from_millis(39),
        "{gaps:?}"
    );
}

#[tokio::test]
async fn max_attempts_counts_retries_and_zero_means_none() {
    let retry =
        |n| json!([{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": n}]);
    let catch = json!([{"ErrorEquals": ["States.ALL"], "Next": "First"}]);
    for (max, calls) in [(0, 1), (2, 3)] {
        let invoker = Scripted::new([(
            "T",
            vec![transient(), transient(), transient(), transient()],
        )]);
        let d = run_one(task(retry(max), catch.clone()), json!({}), invoker.clone()).await;
        assert_eq!(invoker.calls().len(), calls, "MaxAttempts {max}");
        assert_eq!(d.visited_states(), ["T", "First"]);
    }
}

#[tokio::test]
async fn the_first_matching_catcher_wins() {
    let catch = json!([
        {"ErrorEquals": ["Other"], "Next": "Done"},
        {"ErrorEquals": ["Declined", "TransientError"], "Next": "First", "ResultPath": "$.error"},
        {"ErrorEquals": ["States.ALL"], "Next": "Second"}
    ]);
    let invoker = Scripted::new([("T", vec![transient()])]);
    let d = run_one(task(json!([]), catch), json!({"k": 1}), invoker).await;
    assert_eq!(d.visited_states(), ["T", "First"]);
    assert_eq!(
        d.execution.output,
        Some(
            json!({"k": 1, "error": {"Error": "TransientError", "Cause": "provider unavailable"}})
        )
    );
    let caught = d
        .history
        .iter()
        .find(|e| e.event_type == EventType::CatchTaken)
        .unwrap();
    assert_eq!(caught.error.as_deref(), Some("TransientError"));
}

#[tokio::test]
async fn a_specific_name_matches_only_itself_and_states_all_everything_else() {
    let catch = json!([
        {"ErrorEquals": ["TransientError"], "Next": "First"},
        {"ErrorEquals": ["States.ALL"], "Next": "Second"}
    ]);
    let other = Scripted::new([("T", vec![Answer::Error(TaskError::new("Declined", "no"))])]);
    let d = run_one(task(json!([]), catch.clone()), json!({}), other).await;
    assert_eq!(d.visited_states(), ["T", "Second"]);
    // Default ResultPath "$": the error output replaces the input.
    assert_eq!(
        d.execution.output,
        Some(json!({"Error": "Declined", "Cause": "no"}))
    );
    // States.TaskFailed matches task errors too.
    let tf = json!([{"ErrorEquals": ["States.TaskFailed"], "Next": "First"}]);
    let d = run_one(
        task(json!([]), tf),
        json!({}),
        Scripted::new([("T", vec![transient()])]),
    )
    .await;
    assert_eq!(d.visited_states(), ["T", "First"]);
}

#[tokio::test]
async fn an_uncaught_error_fails_the_execution_with_its_name_and_cause() {
    let catch = json!([{"ErrorEquals": ["Other"], "Next": "First"}]);
    let d = run_one(
        task(json!([]), catch),
        json!({}),
        Scripted::new([("T", vec![transient()])]),
    )
    .await;
    assert_eq!(d.execution.status, ExecutionStatus::Failed);
    assert_eq!(d.execution.error.as_deref(), Some("TransientError"));
    assert_eq!(d.execution.cause.as_deref(), Some("provider unavailable"));
    assert_eq!(
        d.history.last().unwrap().event_type,
        EventType::ExecutionFailed
    );
}

#[tokio::test]
async fn a_task_over_its_timeout_fails_with_states_timeout_and_is_retried_by_name() {
    let doc = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "f", "TimeoutSeconds": 1, "Next": "Done",
              "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}],
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "First"}, {"ErrorEquals": ["States.Timeout"], "Next": "Second"}]},
        "Done": {"Type": "Succeed"}, "First": {"Type": "Succeed"}, "Second": {"Type": "Succeed"}
    }});
    let slow = || {
        Answer::Slow(
            Duration::from_millis(1_300),
            Box::new(Answer::Output(json!("late"))),
        )
    };
    let invoker = Scripted::new([("T", vec![slow(), slow()])]);
    let d = run_one(doc, json!({}), invoker.clone()).await;
    assert_eq!(invoker.calls().len(), 2);
    // States.TaskFailed does not match a timeout; the second catcher does.
    assert_eq!(d.visited_states(), ["T", "Second"]);
    let failed: Vec<_> = d
        .history
        .iter()
        .filter(|e| e.event_type == EventType::TaskFailed)
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].error.as_deref(), Some("States.Timeout"));
}

#[tokio::test]
async fn an_execution_over_its_timeout_is_timed_out() {
    let doc = json!({"StartAt": "T", "TimeoutSeconds": 1, "States": {
        "T": {"Type": "Task", "Resource": "f", "End": true,
              "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 5}]}
    }});
    // Real waits (scale 1): the 10 s retry wait is cut by the 1 s deadline.
    let db = common::TestDb::new();
    let invoker = Scripted::new([("T", vec![transient()])]);
    let running = common::Running::spawn(common::executor(
        db.open(),
        common::definition(doc),
        invoker,
        1.0,
    ));
    running.executor.start("x", json!({})).await.unwrap();
    let d = common::finished(&running.executor, "x").await;
    running.stop().await;
    assert_eq!(d.execution.status, ExecutionStatus::TimedOut);
    assert_eq!(d.execution.error.as_deref(), Some("States.Timeout"));
    let took = d.execution.stopped_at.unwrap() - d.execution.started_at;
    assert!(
        took.num_milliseconds() >= 1_000 && took.num_milliseconds() < 3_000,
        "{took}"
    );
}
