//! The two producers of `OrderCreated` make the same event, and it passes
//! its schema (contracts/events/order-created.v1.schema.json):
//!
//! - AWS: the EventBridge Pipe's input template
//!   (contracts/events/order-created.v1.pipe-template.json, which the CDK
//!   stack deploys verbatim) applied to the stream record of an order item
//!   as the DynamoDB adapter writes it (on moto);
//! - local: the SQLite outbox row written with the order.
//!
//! Likewise `OrderStatusChanged`: the second pipe's template
//! (contracts/events/order-status-changed.v1.pipe-template.json) applied to
//! the MODIFY record of a status move forwards the event the move wrote into
//! the item (`statusEvent`), and it is the event the local outbox row of the
//! same move carries.

use aws_sdk_dynamodb::types::AttributeValue;
use orders_contract_tests::backends::{dynamodb_client, dynamodb_endpoint};
use orders_contract_tests::fixtures::base_time;
use orders_core::events::{OrderCreated, OrderEvent};
use orders_core::model::OrderStatus;
use orders_core::ports::{OrderStatusUpdater, StatusChange, TransitionOutcome};
use orders_core::OrderReader;
use orders_dynamodb::{create_table, order_key, DynamoStore};
use orders_sqlite::SqliteStore;
use orders_validation::events::validate_event;
use serde_json::{json, Map, Value};

const TEMPLATE: &str =
    include_str!("../../../contracts/events/order-created.v1.pipe-template.json");
const STATUS_TEMPLATE: &str =
    include_str!("../../../contracts/events/order-status-changed.v1.pipe-template.json");

const BODY: &[u8] = br#"{"customerId":"cust-42","customerName":"Ada Lovelace","customerEmail":"ada@example.com","customerPhone":"+14155550100","currency":"EUR","items":[{"sku":"A","quantity":3,"price":"2.50"},{"sku":"B","quantity":2,"price":19.99}]}"#;

/// An attribute value as DynamoDB Streams writes it (`{"S": ...}`, ...).
fn stream_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(stream_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": image(m) }),
        other => panic!("an order item holds no {other:?}"),
    }
}

fn image(item: &std::collections::HashMap<String, AttributeValue>) -> Map<String, Value> {
    item.iter()
        .map(|(k, v)| (k.clone(), stream_json(v)))
        .collect()
}

/// EventBridge Pipes' input transformation: each `<$.path>` becomes the
/// value at that path of the event. Inside quotes a string's text is
/// inserted; outside, the documentation leaves open whether a string value
/// is inserted bare (`3`) or quoted (`"3"`, as EventBridge rules do), so
/// `quote_bare_strings` tries both.
fn render(template: &str, event: &Value, quote_bare_strings: bool) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("<$.") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('>').expect("closed placeholder") + start;
        let path = &rest[start + 3..end];
        let value = path
            .split('.')
            .try_fold(event, |v, key| v.get(key))
            .unwrap_or_else(|| panic!("the stream record has no $.{path}"));
        let quoted = out.ends_with('"');
        match value {
            Value::String(s) if quoted || !quote_bare_strings => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn renderer_follows_pipes_quoting() {
    let e = json!({"a": {"S": "x"}, "n": {"N": "3"}});
    let t = r#"{"s":"<$.a.S>","n":<$.n.N>}"#;
    assert_eq!(render(t, &e, false), r#"{"s":"x","n":3}"#);
    assert_eq!(render(t, &e, true), r#"{"s":"x","n":"3"}"#);
}

#[tokio::test]
async fn pipe_template_and_local_outbox_produce_the_same_valid_event() {
    let Some(endpoint) = dynamodb_endpoint("pipe_template") else {
        return;
    };
    let client = dynamodb_client(&endpoint);
    let table = format!("pipe-{}", uuid::Uuid::now_v7().simple());
    create_table(&client, &table).await.unwrap();
    let store = DynamoStore::new(client.clone(), &table);

    let created = orders_validation::create_order(&store, BODY, None, base_time())
        .await
        .unwrap();
    let item = client
        .get_item()
        .table_name(&table)
        .set_key(Some(order_key(created.order_id)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the order item");
    // The stream record of the INSERT: NewImage is the item as written.
    let keys: Map<String, Value> = order_key(created.order_id)
        .iter()
        .map(|(k, v)| (k.clone(), stream_json(v)))
        .collect();
    let record = json!({
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": keys,
            "NewImage": image(&item),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    });
    // What the pipe's filter keeps: INSERTs of order items.
    assert_eq!(record["dynamodb"]["Keys"]["sk"]["S"], "ORDER");

    let order = store.get_order(created.order_id).await.unwrap().unwrap();
    let mut from_pipe = None;
    for quote in [false, true] {
        let text = render(TEMPLATE, &record, quote);
        let event = orders_validation::events::parse_event(&text)
            .unwrap_or_else(|e| panic!("pipe output fails its schema: {e:?}\n{text}"));
        assert_eq!(event, OrderEvent::from(OrderCreated::from_order(&order)));
        assert!(!text.contains("ada@example.com") && !text.contains("Ada"));
        from_pipe = Some(event);
    }
    let from_pipe = from_pipe.unwrap();
    let OrderEvent::OrderCreated(e) = &from_pipe else {
        panic!("not OrderCreated")
    };
    assert_eq!(e.item_count, 5);
    assert_eq!(e.total.to_string(), "47.48");

    // The local producer: the outbox row committed with the order.
    let local = SqliteStore::in_memory().unwrap();
    let created = orders_validation::create_order(&local, BODY, None, base_time())
        .await
        .unwrap();
    let outbox = local.outbox_pending(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let from_outbox = orders_validation::events::parse_event(&outbox[0].body).unwrap();
    let order = local.get_order(created.order_id).await.unwrap().unwrap();
    assert_eq!(
        from_outbox,
        OrderEvent::from(OrderCreated::from_order(&order))
    );
}

/// The stream record DynamoDB writes for an update of the order item from
/// `old` to `new` (both as `GetItem` returns them).
fn modify_record(
    order_id: uuid::Uuid,
    old: &std::collections::HashMap<String, AttributeValue>,
    new: &std::collections::HashMap<String, AttributeValue>,
) -> Value {
    json!({
        "eventID": "a87ff679a2f3e71d9181a67b7542122c",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": image(&order_key(order_id)),
            "OldImage": image(old),
            "NewImage": image(new),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    })
}

#[test]
fn the_status_template_forwards_the_items_event_whole() {
    assert_eq!(
        STATUS_TEMPLATE.trim(),
        "<$.dynamodb.NewImage.statusEvent.S>"
    );
}

#[tokio::test]
async fn status_pipe_template_and_local_outbox_produce_the_same_valid_event() {
    let Some(endpoint) = dynamodb_endpoint("status_pipe_template") else {
        return;
    };
    let client = dynamodb_client(&endpoint);
    let table = format!("pipe-{}", uuid::Uuid::now_v7().simple());
    create_table(&client, &table).await.unwrap();
    let store = DynamoStore::new(client.clone(), &table);
    let local = SqliteStore::in_memory().unwrap();

    let created = orders_validation::create_order(&store, BODY, None, base_time())
        .await
        .unwrap();
    let id = created.order_id;
    // The same order locally, so both producers make the same event ids.
    let order = store.get_order(id).await.unwrap().unwrap();
    orders_core::OrderWriter::create_order(&local, &order, None)
        .await
        .unwrap();
    let at = |ms| base_time() + chrono::Duration::milliseconds(ms);
    let moves = [
        (
            OrderStatus::Pending,
            OrderStatus::Processing,
            None,
            None,
            at(1_000),
        ),
        (
            OrderStatus::Processing,
            OrderStatus::Failed,
            Some("OUT_OF_STOCK".to_string()),
            Some("out of stock: A".to_string()),
            at(2_000),
        ),
    ];
    let get = || async {
        client
            .get_item()
            .table_name(&table)
            .set_key(Some(order_key(id)))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
            .expect("the order item")
    };
    for (from, to, reason, detail, at) in moves {
        let change = StatusChange {
            order_id: id,
            from,
            to,
            reason,
            detail,
            at,
        };
        let old = get().await;
        assert!(matches!(
            store.transition(&change).await.unwrap(),
            TransitionOutcome::Moved(_)
        ));
        let new = get().await;
        let record = modify_record(id, &old, &new);
        // What the second pipe's filter keeps: MODIFYs of order items.
        assert_eq!(record["dynamodb"]["Keys"]["sk"]["S"], "ORDER");
        assert_ne!(
            record["dynamodb"]["OldImage"]["status"],
            record["dynamodb"]["NewImage"]["status"]
        );
        let text = render(STATUS_TEMPLATE, &record, false);
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("pipe output is not JSON: {e}\n{text}"));
        validate_event(&doc)
            .unwrap_or_else(|e| panic!("pipe output fails its schema: {e:?}\n{text}"));
        let from_pipe = orders_validation::events::parse_event(&text).unwrap();
        assert_eq!(from_pipe, OrderEvent::from(change.event().unwrap()));
        assert!(!text.contains("ada@example.com") && !text.contains("Ada"));

        // The local producer: the outbox row of the same move.
        orders_core::OrderStatusUpdater::transition(&local, &change)
            .await
            .unwrap();
        let rows = local.outbox_pending(100).await.unwrap();
        let row = rows.last().expect("an outbox row");
        assert_eq!(row.event_type, "OrderStatusChanged");
        assert_eq!(
            orders_validation::events::parse_event(&row.body).unwrap(),
            from_pipe
        );
    }
}
