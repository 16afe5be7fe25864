//! CORS on function responses, from `ALLOWED_ORIGINS` (its own test binary:
//! the variable is read once per process).

use lambda_http::request::LambdaRequest;
use serde_json::{json, Value};

#[tokio::test]
async fn allowed_origins_get_cors_headers() {
    // Set before anything reads it; this binary has this one test.
    std::env::set_var(
        "ALLOWED_ORIGINS",
        "https://shop.example.com, http://localhost:3000",
    );
    let store = orders_sqlite::SqliteStore::in_memory().unwrap();
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/post-orders.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    for (origin, allowed) in [
        ("https://shop.example.com", true),
        ("https://evil.example.com", false),
    ] {
        let mut v = base.clone();
        v["headers"]["Origin"] = json!(origin);
        v["multiValueHeaders"]["Origin"] = json!([origin]);
        let req: LambdaRequest = serde_json::from_value(v).unwrap();
        let resp = create_order::handler::handle(&store, req.into())
            .await
            .unwrap();
        let h = resp.headers();
        assert_eq!(h["vary"], "Origin");
        if allowed {
            assert_eq!(h["access-control-allow-origin"], origin);
            // The exposed headers of contracts/gateway.json, as the gateway's.
            assert_eq!(
                h["access-control-expose-headers"],
                "Location, Idempotent-Replayed, x-amzn-RequestId"
            );
        } else {
            assert!(h.get("access-control-allow-origin").is_none());
        }
    }
}
