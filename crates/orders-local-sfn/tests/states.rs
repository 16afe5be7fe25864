//! Each state type and field, run through the executor.

mod common;

use common::{run_one, Answer, Scripted};
use orders_local_sfn::{EventType, ExecutionStatus};
use serde_json::json;

#[tokio::test]
async fn task_paths_parameters_result_selector_and_result_path() {
    let doc = json!({
        "StartAt": "T",
        "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "InputPath": "$.order",
            "Parameters": {"FunctionName": "payments", "Payload": {"action": "charge", "orderId.$": "$.id", "nested": {"n.$": "$.n"}}},
            "ResultSelector": {"status.$": "$.Payload.status", "code.$": "$.StatusCode"},
            "ResultPath": "$.order.payment",
            "OutputPath": "$.order",
            "End": true
        }}
    });
    let invoker = Scripted::new([(
        "T",
        vec![Answer::Output(json!({"status": "APPROVED", "extra": 1}))],
    )]);
    let d = run_one(
        doc,
        json!({"order": {"id": "o1", "n": 3}, "other": true}),
        invoker.clone(),
    )
    .await;
    assert_eq!(d.execution.status, ExecutionStatus::Succeeded);
    // The payload is Parameters.Payload over the InputPath's selection;
    // ResultPath places into the raw input; OutputPath selects from that.
    let calls = invoker.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].function, "payments");
    assert_eq!(
        calls[0].payload,
        json!({"action": "charge", "orderId": "o1", "nested": {"n": 3}})
    );
    assert_eq!(
        d.execution.output,
        Some(json!({"id": "o1", "n": 3, "payment": {"status": "APPROVED", "code": 200}}))
    );
    let kinds: Vec<_> = d.history.iter().map(|e| e.event_type).collect();
    assert_eq!(
        kinds,
        [
            EventType::ExecutionStarted,
            EventType::StateEntered,
            EventType::TaskScheduled,
            EventType::TaskSucceeded,
            EventType::StateExited,
            EventType::ExecutionSucceeded
        ]
    );
    assert_eq!(
        d.history[3].output,
        Some(json!({"status": "APPROVED", "extra": 1}))
    );
}

#[tokio::test]
async fn result_path_null_keeps_the_input_and_a_bare_function_gets_its_output() {
    let doc = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "settle-order", "ResultPath": null, "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "ResultPath": "$.b", "End": true}
        }
    });
    let invoker = Scripted::new([
        ("A", vec![Answer::Output(json!("ignored"))]),
        ("B", vec![Answer::Output(json!({"v": 1}))]),
    ]);
    let d = run_one(doc, json!({"k": 1}), invoker.clone()).await;
    assert_eq!(d.execution.output, Some(json!({"k": 1, "b": {"v": 1}})));
    // A bare function gets the effective input as its payload.
    let calls = invoker.calls();
    assert_eq!(calls[0].payload, json!({"k": 1}));
    assert_eq!(
        calls[1].function,
        "arn:aws:lambda:us-east-1:123456789012:function:f"
    );
}

#[tokio::test]
async fn default_result_path_replaces_and_null_paths_give_empty_objects() {
    let doc = json!({
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "f", "Next": "B"},
            "B": {"Type": "Pass", "InputPath": null, "Result": {"r": 1}, "ResultPath": "$.x", "Next": "C"},
            "C": {"Type": "Pass", "OutputPath": null, "End": true}
        }
    });
    let invoker = Scripted::new([("A", vec![Answer::Output(json!({"replaced": true}))])]);
    let d = run_one(doc, json!({"k": 1}), invoker).await;
    let outputs: Vec<_> = d
        .history
        .iter()
        .filter(|e| e.event_type == EventType::StateExited)
        .map(|e| e.output.clone().unwrap())
        .collect();
    // A's result replaces its input; B's Result lands in its raw input
    // (InputPath null only empties the effective input); C outputs {}.
    assert_eq!(
        outputs,
        [
            json!({"replaced": true}),
            json!({"replaced": true, "x": {"r": 1}}),
            json!({})
        ]
    );
    assert_eq!(d.execution.output, Some(json!({})));
}

#[tokio::test]
async fn pass_parameters_and_choice_rules_route() {
    let doc = json!({
        "StartAt": "Shape",
        "States": {
            "Shape": {"Type": "Pass", "Parameters": {"amount.$": "$.total", "kind": "card", "flags.$": "$.flags"}, "Next": "Route"},
            "Route": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.amount", "NumericGreaterThan": 100}, {"Variable": "$.kind", "StringEquals": "card"}], "Next": "Big"},
                {"Not": {"Variable": "$.flags.vip", "IsPresent": true}, "Next": "Small"},
                {"Variable": "$.flags.vip", "BooleanEquals": true, "Next": "Vip"}
            ], "Default": "Small"},
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Succeed", "OutputPath": "$.amount"},
            "Vip": {"Type": "Fail", "Error": "Vip", "Cause": "vip orders are manual"}
        }
    });
    let visit = |input| {
        let doc = doc.clone();
        async move { run_one(doc, input, Scripted::new([])).await }
    };
    let big = visit(json!({"total": 150, "flags": {}})).await;
    assert_eq!(big.visited_states(), ["Shape", "Route", "Big"]);
    assert_eq!(
        big.execution.output,
        Some(json!({"amount": 150, "kind": "card", "flags": {}}))
    );
    let small = visit(json!({"total": 5, "flags": {}})).await;
    assert_eq!(small.visited_states(), ["Shape", "Route", "Small"]);
    assert_eq!(small.execution.output, Some(json!(5)));
    let vip = visit(json!({"total": 5, "flags": {"vip": true}})).await;
    assert_eq!(vip.visited_states(), ["Shape", "Route", "Vip"]);
    assert_eq!(vip.execution.status, ExecutionStatus::Failed);
    assert_eq!(vip.execution.error.as_deref(), Some("Vip"));
    assert_eq!(
        vip.execution.cause.as_deref(),
        Some("vip orders are manual")
    );
    let default = visit(json!({"total": 5, "flags": {"vip": false}})).await;
    assert_eq!(default.visited_states(), ["Shape", "Route", "Small"]);
}

#[tokio::test]
async fn a_choice_without_a_match_or_default_fails() {
    let doc = json!({
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringEquals": "x", "Next": "S"}]},
            "S": {"Type": "Succeed"}
        }
    });
    let d = run_one(doc, json!({"a": "y"}), Scripted::new([])).await;
    assert_eq!(d.execution.status, ExecutionStatus::Failed);
    assert_eq!(d.execution.error.as_deref(), Some("States.NoChoiceMatched"));
}

#[tokio::test]
async fn missing_paths_fail_the_execution_with_states_runtime_even_under_catch() {
    let catch_all = json!([{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]);
    let retry_all = json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}]);
    for (field, value) in [
        ("Parameters", json!({"x.$": "$.missing"})),
        ("ResultSelector", json!({"x.$": "$.missing"})),
        ("InputPath", json!("$.missing")),
        ("OutputPath", json!("$.missing")),
    ] {
        let mut task = json!({"Type": "Task", "Resource": "f", "Retry": retry_all, "Catch": catch_all, "End": true});
        task[field] = value;
        let doc = json!({"StartAt": "T", "States": {"T": task, "Caught": {"Type": "Succeed"}}});
        let invoker = Scripted::new([("T", vec![Answer::Output(json!({"ok": true}))])]);
        let d = run_one(doc, json!({"k": 1}), invoker.clone()).await;
        assert_eq!(d.execution.status, ExecutionStatus::Failed, "{field}");
        assert_eq!(
            d.execution.error.as_deref(),
            Some("States.Runtime"),
            "{field}"
        );
        assert!(
            d.execution.cause.as_deref().unwrap().contains("$.missing"),
            "{field}"
        );
        assert!(
            invoker.calls().len() <= 1,
            "{field}: a runtime error is not retried"
        );
    }
}

#[tokio::test]
async fn a_result_path_into_a_non_object_is_a_match_failure() {
    let doc = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "f", "ResultPath": "$.a.b", "End": true}}});
    let invoker = Scripted::new([("T", vec![Answer::Output(json!(1))])]);
    let d = run_one(doc, json!({"a": 5}), invoker).await;
    assert_eq!(
        d.execution.error.as_deref(),
        Some("States.ResultPathMatchFailure")
    );
}
