//! The get-order handler on API Gateway REST proxy events, against the
//! embedded store.

use get_order::handler::handle;
use lambda_http::request::LambdaRequest;
use lambda_http::Body;
use orders_core::service::create_order;
use orders_sqlite::SqliteStore;
use serde_json::{json, Value};

fn fixture() -> Value {
    let path = format!(
        "{}/tests/fixtures/get-order.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn for_id(id: &str) -> Value {
    let mut v = fixture();
    v["pathParameters"] = json!({ "orderId": id });
    v["path"] = json!(format!("/orders/{id}"));
    v["requestContext"]["path"] = json!(format!("/dev/orders/{id}"));
    v
}

async fn call(store: &SqliteStore, v: Value) -> (u16, Value) {
    let req: LambdaRequest = serde_json::from_value(v).unwrap();
    let resp = handle(store, req.into()).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let Body::Text(t) = resp.body() else {
        panic!("text body")
    };
    (resp.status().as_u16(), serde_json::from_str(t).unwrap())
}

#[tokio::test]
async fn gets_an_order() {
    let s = SqliteStore::in_memory().unwrap();
    let created = create_order(
        &s,
        br#"{"customerId":"c-1","customerEmail":"a@b.example","items":[{"sku":"A","quantity":3,"price":"2.50"}]}"#,
        None,
    )
    .await
    .unwrap();
    let (status, body) = call(&s, for_id(&created.order_id.to_string())).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::from_str::<Value>(&created.body).unwrap());
    assert_eq!(body["total"], "7.50");
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
