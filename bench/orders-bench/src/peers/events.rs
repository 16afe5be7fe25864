//! The event each subject of the comparison gets: the API functions and the
//! peers an API Gateway REST proxy event, process-orders an SQS batch,
//! notify-customer an SNS notification, the saga steps the state machine's
//! task payload (contracts/workflows/order-saga.asl.json), the floor any
//! JSON. The SQS and SNS envelopes are the handlers' own test fixtures,
//! filled in as their tests fill them (`orders_test_support::events`).

use orders_test_support::events::{sns_records, sqs_records};
use serde_json::{json, Value};

use crate::events::{self, CREATE_BODY};
use crate::lambda::cases::{get_order, list_orders, post_orders};

const SQS_FIXTURE: &str =
    include_str!("../../../../lambdas/process-orders/tests/fixtures/sqs-event.json");
const SNS_FIXTURE: &str =
    include_str!("../../../../lambdas/notify-customer/tests/fixtures/sns-event.json");

/// The orders the events name (made by the set-up, see [`super::setup`]).
#[derive(Debug, Clone)]
pub struct Orders {
    /// Read by get-order.
    pub get: String,
    /// Cancelled by cancel-order (the first run cancels it, later runs are
    /// refused with 409: both a conditional write on the store).
    pub cancel: String,
    /// The order process-orders, settle-order and notify-customer handle;
    /// the set-up took it through the saga once (COMPLETED).
    pub saga: Value,
    /// The order payments charges and inventory reserves: the set-up moved
    /// it to PROCESSING and leaves it there, as a running saga does.
    pub processing: Value,
}

/// `POST /orders` with a valid two-line body.
pub fn create() -> Value {
    events::rest_proxy_event(&post_orders(CREATE_BODY, &[]), 1)
}

pub fn get(order_id: &str) -> Value {
    let path = format!("/orders/{order_id}");
    events::rest_proxy_event(&get_order(&path, &[("orderId", order_id)]), 2)
}

pub fn list() -> Value {
    events::rest_proxy_event(&list_orders(&[("status", "PENDING")]), 3)
}

pub fn cancel(order_id: &str) -> Value {
    let path = format!("/orders/{order_id}/cancel");
    events::rest_proxy_event(
        &events::EventSpec {
            method: "POST",
            resource: "/orders/{orderId}/cancel",
            path: &path,
            path_parameters: &[("orderId", order_id)],
            query: &[],
            extra_headers: &[],
            body: None,
        },
        4,
    )
}

/// The `OrderCreated` event (contracts/events/order-created.v1) of an order
/// as create-order returned it.
pub fn order_created(order: &Value) -> Value {
    let item_count: u64 = order["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["quantity"].as_u64()).sum())
        .unwrap_or(1);
    json!({
        "eventType": "OrderCreated",
        "eventVersion": 1,
        "eventId": "0f6c1a5e-4b8d-4c1e-9a7b-5d3e2f1a0b9c",
        "occurredAt": order["createdAt"],
        "orderId": order["orderId"],
        "customerId": order["customerId"],
        "total": order["total"],
        "currency": order["currency"],
        "itemCount": item_count,
        "createdAt": order["createdAt"],
    })
}

/// One SQS record carrying `body` (process-orders' batch).
pub fn sqs(body: &Value) -> Value {
    let fixture: Value = serde_json::from_str(SQS_FIXTURE).expect("fixture is JSON");
    sqs_records(&fixture, &[&body.to_string()])
}

/// The `OrderStatusChanged` event of `order` moving PROCESSING -> COMPLETED.
pub fn completed(order: &Value) -> Value {
    json!({
        "eventType": "OrderStatusChanged",
        "eventVersion": 1,
        "eventId": "5b2d8e61-7c4a-4f0e-8d3b-9a1c2e4f6a8b",
        "occurredAt": order["createdAt"],
        "orderId": order["orderId"],
        "previousStatus": "PROCESSING",
        "status": "COMPLETED",
        "changedAt": order["createdAt"],
    })
}

/// One SNS notification carrying `message` (notify-customer's event).
pub fn sns(message: &Value) -> Value {
    let fixture: Value = serde_json::from_str(SNS_FIXTURE).expect("fixture is JSON");
    sns_records(&fixture, &[&message.to_string()])
}

/// A saga task payload: `{"action": ..., "orderId": ...}`.
pub fn task(action: &str, order: &Value) -> Value {
    json!({"action": action, "orderId": order["orderId"]})
}

/// What the floor gets.
pub fn hello() -> Value {
    json!({"hello": "bench"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Value {
        json!({
            "orderId": "01900000-0000-7000-8000-000000000001",
            "customerId": "c-1",
            "total": "32.99",
            "currency": "EUR",
            "createdAt": "2026-12-02T10:00:00.000Z",
            "items": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]
        })
    }

    #[test]
    fn order_created_has_every_required_field_of_its_schema() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../../../contracts/events/order-created.v1.schema.json"
        ))
        .unwrap();
        let e = order_created(&order());
        assert_eq!(e["itemCount"], 3);
        for field in schema["required"].as_array().unwrap() {
            assert!(!e[field.as_str().unwrap()].is_null(), "{field}");
        }
        let changed: Value = serde_json::from_str(include_str!(
            "../../../../contracts/events/order-status-changed.v1.schema.json"
        ))
        .unwrap();
        let c = completed(&order());
        for field in changed["required"].as_array().unwrap() {
            assert!(!c[field.as_str().unwrap()].is_null(), "{field}");
        }
    }

    #[test]
    fn envelopes_carry_the_body_as_a_string() {
        let body = json!({"a": 1});
        let q = sqs(&body);
        assert_eq!(q["Records"][0]["eventSource"], "aws:sqs");
        assert_eq!(q["Records"][0]["body"], r#"{"a":1}"#);
        let n = sns(&body);
        assert_eq!(n["Records"][0]["Sns"]["Message"], r#"{"a":1}"#);
        assert_eq!(task("charge", &order())["orderId"], order()["orderId"]);
        let c = cancel("x-1");
        assert_eq!(c["pathParameters"]["orderId"], "x-1");
        assert_eq!(c["httpMethod"], "POST");
    }
}
