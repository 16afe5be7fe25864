//! Event documents checked against their contracts (the JSON Schemas in
//! `contracts/events/`, draft-4 subset) before a consumer trusts them:
//! process-orders and notify-customer refuse what the contract refuses.

use orders_core::events::{OrderEvent, ORDER_CREATED, ORDER_STATUS_CHANGED};
use serde_json::Value;

/// The validators are generated from the schema files when this crate is
/// built (jsonschema's `validator` macro): nothing is compiled at run time,
/// and a consumer links only the checks its contracts use, not a schema
/// compiler. The macro also makes cargo rebuild this crate when a schema
/// file changes.
#[jsonschema::validator(path = "../../contracts/events/order-created.v1.schema.json", draft = Draft4)]
struct OrderCreatedV1;

#[jsonschema::validator(path = "../../contracts/events/order-status-changed.v1.schema.json", draft = Draft4)]
struct OrderStatusChangedV1;

/// Parses an event document, checking it against its schema first.
pub fn parse_event(text: &str) -> Result<OrderEvent, Vec<String>> {
    let value: Value = serde_json::from_str(text).map_err(|e| vec![e.to_string()])?;
    validate_event(&value)?;
    serde_json::from_value(value).map_err(|e| vec![e.to_string()])
}

/// Checks an event document against the schema its `eventType` and
/// `eventVersion` name. Every problem is reported, each with its path.
pub fn validate_event(doc: &Value) -> Result<(), Vec<String>> {
    let errors = match (
        doc.get("eventType").and_then(Value::as_str),
        doc.get("eventVersion").and_then(Value::as_u64),
    ) {
        (Some(ORDER_CREATED), Some(1)) => OrderCreatedV1::iter_errors(doc),
        (Some(ORDER_STATUS_CHANGED), Some(1)) => OrderStatusChangedV1::iter_errors(doc),
        (t, v) => {
            return Err(vec![format!(
                "no schema for eventType {t:?}, eventVersion {v:?}"
            )])
        }
    };
    let errors: Vec<String> = errors
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::events::OrderCreated;
    use orders_core::fixtures::{changed, created_json, order};
    use serde_json::json;

    #[test]
    fn what_this_build_writes_passes_its_schema() {
        validate_event(&created_json()).unwrap();
        for reason in [Some("card declined"), None] {
            validate_event(&serde_json::to_value(OrderEvent::from(changed(reason))).unwrap())
                .unwrap();
        }
        for e in [
            OrderEvent::from(OrderCreated::from_order(&order())),
            OrderEvent::from(changed(Some("out of stock"))),
        ] {
            assert_eq!(parse_event(&e.to_json()).unwrap(), e);
        }
    }

    fn rejects(v: &Value, needle: &str) {
        let errs = validate_event(v).expect_err("must be rejected");
        assert!(
            errs.iter().any(|e| e.contains(needle)),
            "expected {needle:?} in {errs:?}"
        );
    }

    #[test]
    fn schemas_reject_bad_order_created() {
        let mut v = created_json();
        v["customerEmail"] = json!("ada@example.com");
        rejects(&v, "customerEmail");

        let mut v = created_json();
        v["total"] = json!(29.99);
        rejects(&v, "/total");
        let mut v = created_json();
        v["total"] = json!("29.9");
        rejects(&v, "/total");

        let mut v = created_json();
        v.as_object_mut().unwrap().remove("customerId");
        rejects(&v, "customerId");

        let mut v = created_json();
        v["itemCount"] = json!(0);
        rejects(&v, "/itemCount");
        for bad in ["0", "-1", "3.0", "", "x"] {
            let mut v = created_json();
            v["itemCount"] = json!(bad);
            rejects(&v, "/itemCount");
        }
        // The pipe may quote the stream's N attribute: digits are accepted.
        let mut v = created_json();
        v["itemCount"] = json!("3");
        let OrderEvent::OrderCreated(e) = parse_event(&v.to_string()).unwrap() else {
            panic!("OrderCreated")
        };
        assert_eq!(e.item_count, 3);

        let mut v = created_json();
        v["currency"] = json!("eur");
        rejects(&v, "/currency");

        let mut v = created_json();
        v["occurredAt"] = json!("2026-11-22T02:01:33Z");
        rejects(&v, "/occurredAt");

        let mut v = created_json();
        v["orderId"] = json!("not-a-uuid");
        rejects(&v, "/orderId");

        // The payload of one type under the other's name.
        let mut v = created_json();
        v["eventType"] = json!("OrderStatusChanged");
        rejects(&v, "previousStatus");
    }

    #[test]
    fn schemas_reject_bad_order_status_changed() {
        let good = serde_json::to_value(OrderEvent::from(changed(Some("x")))).unwrap();

        let mut v = good.clone();
        v["status"] = json!("SHIPPED");
        rejects(&v, "/status");

        let mut v = good.clone();
        v["reason"] = json!("");
        rejects(&v, "/reason");

        let mut v = good.clone();
        v["customerName"] = json!("Ada");
        rejects(&v, "customerName");

        let mut v = good.clone();
        v.as_object_mut().unwrap().remove("changedAt");
        rejects(&v, "changedAt");
    }

    #[test]
    fn unknown_type_or_version_has_no_schema() {
        let mut v = created_json();
        v["eventVersion"] = json!(2);
        rejects(&v, "no schema");
        let mut v = created_json();
        v["eventType"] = json!("OrderShipped");
        rejects(&v, "no schema");
        rejects(&json!({}), "no schema");
        // Parsing refuses what the schema refuses.
        let mut v = created_json();
        v["total"] = json!("abc");
        assert!(parse_event(&v.to_string()).is_err());
        assert!(parse_event("{").is_err());
    }
}
