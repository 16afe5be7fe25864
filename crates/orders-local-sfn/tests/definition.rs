//! What the executor refuses when a definition is loaded, and the saga file.

use orders_local::saga_workflow::{
    local_substitutions, saga_definition, INVENTORY_FUNCTION, PAYMENTS_FUNCTION, SAGA_ASL,
    SETTLE_ORDER_FUNCTION,
};
use orders_local_sfn::{substitute, Definition};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn refusal(doc: Value) -> String {
    Definition::from_value("t", &doc).unwrap_err().0
}

fn one_state(state: Value) -> Value {
    json!({"StartAt": "Charge", "States": {"Charge": state}})
}

fn lambda_task() -> Value {
    json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
           "Parameters": {"FunctionName": "payments", "Payload": {}}, "End": true})
}

#[test]
fn the_saga_file_loads_with_the_local_substitutions() {
    let def = saga_definition().unwrap();
    assert_eq!(def.name, "order-saga");
    assert_eq!(def.start_at(), "Charge");
    // Every placeholder in the file has a local value.
    assert!(!substitute(SAGA_ASL, &local_substitutions())
        .unwrap()
        .contains("${"));
}

/// The local substitutions are contracts/functions.json's saga functions,
/// under the names the host's task invoker dispatches on.
#[test]
fn the_local_substitutions_are_the_contracts_saga_functions() {
    let subs = local_substitutions();
    assert_eq!(subs.len(), 3, "{subs:?}");
    assert_eq!(subs["PaymentsFunctionArn"], PAYMENTS_FUNCTION);
    assert_eq!(subs["InventoryFunctionArn"], INVENTORY_FUNCTION);
    assert_eq!(subs["SettleOrderFunctionArn"], SETTLE_ORDER_FUNCTION);
}

#[test]
fn an_unknown_substitution_is_an_error() {
    let e = Definition::parse("t", SAGA_ASL, &BTreeMap::new()).unwrap_err();
    assert!(e.0.contains("\"${") && e.0.contains("has no value"), "{e}");
    let e = substitute("x ${Open", &BTreeMap::new()).unwrap_err();
    assert!(e.0.contains("unterminated"), "{e}");
}

#[test]
fn unsupported_state_types_are_refused_by_name() {
    for ty in ["Map", "Parallel", "Wait"] {
        assert_eq!(
            refusal(one_state(json!({"Type": ty, "End": true}))),
            format!("state \"Charge\": type \"{ty}\" is not supported")
        );
    }
}

#[test]
fn unsupported_fields_are_refused_with_state_and_field() {
    let with = |field: &str, value: Value| {
        let mut t = lambda_task();
        t[field] = value;
        refusal(one_state(t))
    };
    assert_eq!(
        with("ItemSelector", json!({})),
        "state \"Charge\": field \"ItemSelector\" is not supported"
    );
    assert_eq!(
        with("HeartbeatSeconds", json!(5)),
        "state \"Charge\": field \"HeartbeatSeconds\" is not supported"
    );
    assert_eq!(
        with("Arguments", json!({})),
        "state \"Charge\": field \"Arguments\" is not supported"
    );
    assert_eq!(
        with("Assign", json!({})),
        "state \"Charge\": field \"Assign\" is not supported"
    );
    assert_eq!(
        with("QueryLanguage", json!("JSONata")),
        "state \"Charge\": field \"QueryLanguage\" is not supported"
    );
    assert_eq!(
        with("Resultpath", json!("$.x")),
        "state \"Charge\": field \"Resultpath\" is not supported"
    );
    assert_eq!(
        refusal(one_state(
            json!({"Type": "Fail", "Error": "E", "InputPath": "$"})
        )),
        "state \"Charge\": field \"InputPath\" is not supported"
    );
    assert_eq!(
        refusal(one_state(
            json!({"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "Charge"}], "ResultPath": "$"})
        )),
        "state \"Charge\": field \"ResultPath\" is not supported"
    );
}

#[test]
fn intrinsics_context_paths_and_non_reference_paths_are_refused() {
    let mut t = lambda_task();
    t["Parameters"]["Payload"] = json!({"id.$": "States.UUID()"});
    assert_eq!(
        refusal(one_state(t)),
        "state \"Charge\": field \"Parameters.Payload.id.$\" uses an intrinsic function, which is not supported"
    );
    let mut t = lambda_task();
    t["ResultSelector"] = json!({"n.$": "$$.Execution.Name"});
    assert!(refusal(one_state(t)).starts_with("state \"Charge\": field \"ResultSelector.n.$\""));
    let mut t = lambda_task();
    t["InputPath"] = json!("$.items[*]");
    assert!(refusal(one_state(t)).starts_with("state \"Charge\": field \"InputPath\""));
}

#[test]
fn lambda_invoke_takes_function_name_and_payload_only() {
    let mut t = lambda_task();
    t["Parameters"]["InvocationType"] = json!("Event");
    assert_eq!(
        refusal(one_state(t)),
        "state \"Charge\": field \"Parameters.InvocationType\" is not supported"
    );
    let mut t = lambda_task();
    t["Parameters"] = json!({"FunctionName": "f"});
    assert_eq!(
        refusal(one_state(t)),
        "state \"Charge\": field \"Parameters.Payload\" is required"
    );
    for resource in [
        "arn:aws:states:::dynamodb:putItem",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:sns:us-east-1:1:t",
    ] {
        let mut t = lambda_task();
        t["Resource"] = json!(resource);
        assert!(
            refusal(one_state(t)).starts_with("state \"Charge\": field \"Resource\""),
            "{resource}"
        );
    }
}

#[test]
fn the_top_level_takes_only_what_the_executor_runs() {
    let mut doc = one_state(lambda_task());
    doc["QueryLanguage"] = json!("JSONata");
    assert_eq!(refusal(doc), "field \"QueryLanguage\" must be \"JSONPath\"");
    let mut doc = one_state(lambda_task());
    doc["Version"] = json!("1.0");
    assert_eq!(refusal(doc), "field \"Version\" is not supported");
    let mut doc = one_state(lambda_task());
    doc["StartAt"] = json!("Nowhere");
    assert_eq!(
        refusal(doc),
        "field \"StartAt\" names the missing state \"Nowhere\""
    );
}

#[test]
fn transitions_must_name_states_and_every_state_must_be_reachable() {
    let mut t = lambda_task();
    t.as_object_mut().unwrap().remove("End");
    t["Next"] = json!("Missing");
    assert_eq!(
        refusal(one_state(t)),
        "state \"Charge\": field \"Next\" names the missing state \"Missing\""
    );
    let mut t = lambda_task();
    t["Catch"] = json!([{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]);
    assert_eq!(
        refusal(one_state(t)),
        "state \"Charge\": field \"Catch.Next\" names the missing state \"Gone\""
    );
    let doc = json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}});
    assert_eq!(refusal(doc), "state \"Orphan\" is unreachable from StartAt");
    let mut t = lambda_task();
    t["Next"] = json!("Charge");
    assert_eq!(
        refusal(one_state(t)),
        "state \"Charge\": field \"End\" cannot be set with Next"
    );
}

#[test]
fn retry_and_catch_fields_are_checked() {
    let with = |field: &str, value: Value| {
        let mut t = lambda_task();
        t[field] = value;
        refusal(one_state(t))
    };
    assert_eq!(
        with(
            "Retry",
            json!([{"ErrorEquals": ["X"], "JitterStrategy": "FULL"}])
        ),
        "state \"Charge\": field \"Retry.JitterStrategy\" is not supported (only \"NONE\")"
    );
    assert_eq!(
        with("Retry", json!([{"ErrorEquals": []}])),
        "state \"Charge\": field \"Retry.ErrorEquals\" must be a non-empty array of error names"
    );
    assert_eq!(
        with("Retry", json!([{"ErrorEquals": ["X"], "MaxAttempts": -1}])),
        "state \"Charge\": field \"Retry.MaxAttempts\" must be a non-negative integer"
    );
    assert_eq!(
        with(
            "Catch",
            json!([{"ErrorEquals": ["X"], "Next": "Charge", "Retry": 1}])
        ),
        "state \"Charge\": field \"Catch.Retry\" is not supported"
    );
    assert_eq!(
        with("TimeoutSeconds", json!(0)),
        "state \"Charge\": field \"TimeoutSeconds\" must be a positive integer"
    );
}

#[test]
fn choice_rules_are_checked() {
    let doc = |rule: Value| json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [rule], "Default": "S"}, "S": {"Type": "Succeed"}}});
    assert_eq!(
        refusal(doc(
            json!({"Variable": "$.t", "TimestampEquals": "2026-01-01T00:00:00Z", "Next": "S"})
        )),
        "state \"C\": field \"Choices.TimestampEquals\" is not supported"
    );
    assert_eq!(
        refusal(doc(json!({"Variable": "$.t", "StringEquals": "x"}))),
        "state \"C\": field \"Choices.Next\" is required in every top-level rule"
    );
}
