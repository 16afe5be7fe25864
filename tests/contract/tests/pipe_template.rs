//! The two producers of `OrderCreated` make the same event, and it passes
//! its schema (contracts/events/order-created.v1.schema.json):
//!
//! - AWS: the EventBridge Pipe's input template
//!   (contracts/events/order-created.v1.pipe-template.json, which the CDK
//!   stack deploys verbatim) applied to the stream record of an order item
//!   as the DynamoDB adapter writes it (on moto);
//! - local: the SQLite outbox row written with the order.

use aws_sdk_dynamodb::types::AttributeValue;
use orders_contract_tests::backends::{dynamodb_client, dynamodb_endpoint};
use orders_contract_tests::fixtures::base_time;
use orders_core::events::{OrderCreated, OrderEvent};
use orders_core::{usecases, OrderReader};
use orders_dynamodb::{create_table, order_key, DynamoStore};
use orders_sqlite::SqliteStore;
use serde_json::{json, Map, Value};

const TEMPLATE: &str =
    include_str!("../../../contracts/events/order-created.v1.pipe-template.json");

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

    let created = usecases::create_order(&store, BODY, None, base_time())
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
        let event = OrderEvent::from_json(&text)
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
    let created = usecases::create_order(&local, BODY, None, base_time())
        .await
        .unwrap();
    let outbox = local.outbox_pending(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    let from_outbox = OrderEvent::from_json(&outbox[0].body).unwrap();
    let order = local.get_order(created.order_id).await.unwrap().unwrap();
    assert_eq!(
        from_outbox,
        OrderEvent::from(OrderCreated::from_order(&order))
    );
}
