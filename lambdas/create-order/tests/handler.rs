//! The create-order handler on API Gateway REST proxy events (fixtures in
//! the exact shape the gateway sends), against the embedded store.

use base64::Engine;
use create_order::handler::handle;
use orders_core::model::{parse_order_id, parse_timestamp};
use orders_core::{ListQuery, OrderLister, SortOrder};
use orders_sqlite::SqliteStore;
use orders_test_support::events::{self, request, with_header, without_header, Answer};
use serde_json::{json, Value};

fn fixture(name: &str) -> Value {
    events::fixture(env!("CARGO_MANIFEST_DIR"), name)
}

fn post(body: &str) -> Value {
    let mut v = fixture("post-orders.json");
    v["body"] = json!(body);
    v
}

fn without_key(v: Value) -> Value {
    without_header(v, "Idempotency-Key")
}

fn with_key(v: Value, key: &str) -> Value {
    with_header(v, "Idempotency-Key", key)
}

async fn call(store: &SqliteStore, v: Value) -> Answer {
    Answer::of(handle(store, request(v)).await.expect("handlers answer"))
}

async fn count(store: &SqliteStore) -> usize {
    let q = ListQuery {
        status: None,
        limit: 100,
        order: SortOrder::Asc,
        after: None,
    };
    store.list_orders(&q).await.unwrap().orders.len()
}

fn store() -> SqliteStore {
    SqliteStore::in_memory().unwrap()
}

#[tokio::test]
async fn creates_an_order() {
    let s = store();
    let a = call(&s, fixture("post-orders.json")).await;
    assert_eq!(a.status, 201, "{}", a.raw);
    let id = a.body["orderId"].as_str().unwrap();
    assert_eq!(a.headers["location"], format!("/dev/orders/{id}"));
    assert!(a.headers.get("idempotent-replayed").is_none());
    assert_eq!(a.body["status"], "PENDING");
    assert_eq!(a.body["customerId"], "cust-42");
    assert_eq!(a.body["customerName"], "Ada");
    assert_eq!(a.body["currency"], "USD");
    // 2 x 19.99 + 3 x 0.10, exactly.
    assert_eq!(a.body["total"], "40.28");
    assert_eq!(a.body["items"][0]["lineTotal"], "39.98");
    assert_eq!(a.body["items"][1]["sku"], "SKU-2");
    assert_eq!(a.body["items"][1]["price"], "0.10");
    assert_eq!(a.body["items"][1]["lineTotal"], "0.30");
    assert_eq!(a.body["createdAt"], a.body["updatedAt"]);
    assert_eq!(count(&s).await, 1);
}

#[tokio::test]
async fn the_handler_reads_the_clock_once_for_the_order() {
    let s = store();
    let before = chrono::Utc::now();
    let a = call(&s, without_key(fixture("post-orders.json"))).await;
    let after = chrono::Utc::now();
    let created = parse_timestamp(a.body["createdAt"].as_str().unwrap()).unwrap();
    // createdAt is the request's instant to the millisecond, and the id
    // (UUID v7) encodes that same instant.
    assert!(before.timestamp_millis() <= created.timestamp_millis());
    assert!(created <= after, "{created} > {after}");
    let id = parse_order_id(a.body["orderId"].as_str().unwrap()).unwrap();
    let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
    assert_eq!(
        secs as i64 * 1000 + i64::from(nanos / 1_000_000),
        created.timestamp_millis()
    );
}

#[tokio::test]
async fn location_without_a_request_context_path() {
    let s = store();
    let mut v = without_key(fixture("post-orders.json"));
    v["requestContext"].as_object_mut().unwrap().remove("path");
    let a = call(&s, v).await;
    assert_eq!(a.status, 201);
    let id = a.body["orderId"].as_str().unwrap();
    assert_eq!(a.headers["location"], format!("/orders/{id}"));
}

#[tokio::test]
async fn a_retry_gets_the_first_response() {
    let s = store();
    let first = call(&s, fixture("post-orders.json")).await;
    let again = call(&s, fixture("post-orders.json")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.raw, first.raw);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["location"], first.headers["location"]);
    // The same order spelled differently is the same request.
    let same = post(
        r#"{"items":[{"productId":"SKU-1","qty":2,"price":19.99},{"sku":"SKU-2","quantity":3,"price":"0.10"}],"customerName":"Ada","customerId":"cust-42"}"#,
    );
    let third = call(&s, same).await;
    assert_eq!(third.raw, first.raw);
    assert_eq!(count(&s).await, 1);
}

#[tokio::test]
async fn a_key_reused_with_another_body_is_422() {
    let s = store();
    call(&s, fixture("post-orders.json")).await;
    let other =
        post(r#"{"customerId":"cust-43","items":[{"sku":"SKU-1","quantity":1,"price":"1.00"}]}"#);
    let a = call(&s, other).await;
    assert_eq!(a.status, 422);
    assert_eq!(a.body["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(
        a.body["error"]["requestId"],
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    );
    assert_eq!(count(&s).await, 1);
}

#[tokio::test]
async fn bad_inputs_are_400_with_details_and_write_nothing() {
    let s = store();
    let item = |q: &str, p: &str| format!(r#"{{"sku":"A","quantity":{q},"price":{p}}}"#);
    let many = vec![item("1", "\"1.00\""); 101].join(",");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            r#"{"customerId":"c1","items":[{"sku":"A""#.into(),
            "MALFORMED_JSON",
            "",
        ),
        ("".into(), "VALIDATION_FAILED", "body"),
        ("[]".into(), "VALIDATION_FAILED", "body"),
        (
            format!(
                r#"{{"customerId":"c1","colour":"red","items":[{}]}}"#,
                item("1", "1")
            ),
            "VALIDATION_FAILED",
            "colour",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{}]}}"#, item("0", "1")),
            "VALIDATION_FAILED",
            "items[0].quantity",
        ),
        (
            format!(
                r#"{{"customerId":"c1","items":[{}]}}"#,
                item("1", "\"1.005\"")
            ),
            "VALIDATION_FAILED",
            "items[0].price",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{}]}}"#, item("1", "1.005")),
            "VALIDATION_FAILED",
            "items[0].price",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{many}]}}"#),
            "VALIDATION_FAILED",
            "items",
        ),
        (
            r#"{"customerId":"c1","items":[]}"#.into(),
            "VALIDATION_FAILED",
            "items",
        ),
        (
            format!(r#"{{"items":[{}]}}"#, item("1", "1")),
            "VALIDATION_FAILED",
            "customerId",
        ),
    ];
    for (body, code, field) in cases {
        let a = call(&s, without_key(post(&body))).await;
        assert_eq!(a.status, 400, "{body}: {}", a.raw);
        assert_eq!(a.body["error"]["code"], code, "{body}: {}", a.raw);
        if field.is_empty() {
            assert!(!a.body["error"]["message"].as_str().unwrap().is_empty());
        } else {
            assert!(
                a.fields().iter().any(|f| f == field),
                "{body}: {field} not in {}",
                a.raw
            );
        }
    }
    // A bad key is reported before anything else.
    let a = call(&s, with_key(fixture("post-orders.json"), "has space")).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.fields(), ["Idempotency-Key"]);
    assert_eq!(count(&s).await, 0);
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let s = store();
    let pad = "x".repeat(64 * 1024);
    let body = format!(r#"{{"customerId":"c1","customerName":"{pad}","items":[]}}"#);
    let a = call(&s, without_key(post(&body))).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.body["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(a.fields(), ["body"]);
    assert_eq!(count(&s).await, 0);
}

#[tokio::test]
async fn a_base64_body_is_decoded() {
    let s = store();
    let a = call(&s, fixture("post-orders-base64.json")).await;
    assert_eq!(a.status, 201, "{}", a.raw);
    assert_eq!(a.body["total"], "40.28");

    // Bytes that are not UTF-8 are malformed JSON, not a crash.
    let mut v = fixture("post-orders-base64.json");
    v["body"] = json!(base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, b'{', 0x80]));
    let a = call(&s, v).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"]["code"], "MALFORMED_JSON");
    assert_eq!(count(&s).await, 1);
}

#[tokio::test]
async fn request_id_falls_back_to_the_lambda_context() {
    use lambda_http::RequestExt;
    let s = store();
    let mut v = without_key(post("{"));
    v["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("requestId");
    let mut ctx = lambda_http::Context::default();
    ctx.request_id = "lambda-req-1".into();
    let a = Answer::of(
        handle(&s, request(v).with_lambda_context(ctx))
            .await
            .unwrap(),
    );
    assert_eq!(a.body["error"]["requestId"], "lambda-req-1");
}

#[tokio::test]
async fn a_body_that_is_not_json_by_its_content_type_is_415_and_writes_nothing() {
    // On AWS no request model matches such a body, so the proxy integration
    // passes it on: the function answers the contract's UNSUPPORTED_MEDIA_TYPE.
    let s = store();
    let json_body = fixture("post-orders.json")["body"].clone();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut v = without_header(fixture("post-orders.json"), "Content-Type");
        v["body"] = json_body.clone();
        if let Some(t) = content_type {
            v = with_header(v, "Content-Type", t);
        }
        let a = call(&s, v).await;
        assert_eq!(a.status, 415, "{content_type:?}: {}", a.raw);
        assert_eq!(a.body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(count(&s).await, 0);
    // Parameters and case do not matter.
    let v = with_header(
        fixture("post-orders.json"),
        "Content-Type",
        "Application/JSON; charset=utf-8",
    );
    assert_eq!(call(&s, v).await.status, 201);
}
