//! The get-order handler on API Gateway REST proxy events, against the
//! embedded store.

use get_order::handler::handle;
use orders_sqlite::SqliteStore;
use orders_test_support::events::{self, request, with_order_id, Answer};
use orders_test_support::World;
use serde_json::{json, Value};

fn fixture() -> Value {
    events::fixture(env!("CARGO_MANIFEST_DIR"), "get-order.json")
}

fn for_id(id: &str) -> Value {
    let mut v = with_order_id(fixture(), id, &format!("/orders/{id}"));
    v["requestContext"]["path"] = json!(format!("/dev/orders/{id}"));
    v
}

async fn call(store: &SqliteStore, v: Value) -> (u16, Value) {
    let a = Answer::of(handle(store, request(v)).await.unwrap());
    (a.status, a.body)
}

#[tokio::test]
async fn gets_an_order() {
    let w = World::new();
    let created = w
        .create(r#"{"customerId":"c-1","customerEmail":"a@b.example","items":[{"sku":"A","quantity":3,"price":"2.50"}]}"#)
        .await;
    let (status, body) = call(&w.store, for_id(&created.order_id.to_string())).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::from_str::<Value>(&created.body).unwrap());
    assert_eq!(body["total"], "7.50");
    // Created at the world's first instant, exactly: the use case is given
    // the time, it does not read a clock.
    assert_eq!(body["createdAt"], "2026-11-18T11:06:40.123Z");
    assert_eq!(body["updatedAt"], body["createdAt"]);
    assert!(
        body.get("customerEmail").is_none(),
        "email is never returned"
    );
}

#[tokio::test]
async fn an_unknown_order_is_404() {
    let s = SqliteStore::in_memory().unwrap();
    let (status, body) = call(&s, fixture()).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert_eq!(
        body["error"]["requestId"],
        "5b1d7a0e-0c2f-4f7e-9a3d-2c1b0a9f8e7d"
    );
}

#[tokio::test]
async fn a_bad_id_is_400() {
    let s = SqliteStore::in_memory().unwrap();
    for id in ["not-a-uuid", "0193a6f1", "' OR 1=1 --"] {
        let (status, body) = call(&s, for_id(id)).await;
        assert_eq!(status, 400, "{id}");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(body["error"]["details"][0]["field"], "orderId");
    }
    let mut v = fixture();
    v["pathParameters"] = Value::Null;
    let (status, _) = call(&s, v).await;
    assert_eq!(status, 400);
}
