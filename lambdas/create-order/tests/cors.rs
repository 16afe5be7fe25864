//! CORS on function responses, from `ALLOWED_ORIGINS` (its own test binary:
//! the variable is read once per process).

use orders_test_support::events::{fixture, request, with_header};

#[tokio::test]
async fn allowed_origins_get_cors_headers() {
    // Set before anything reads it; this binary has this one test.
    std::env::set_var(
        "ALLOWED_ORIGINS",
        "https://shop.example.com, http://localhost:3000",
    );
    let store = orders_sqlite::SqliteStore::in_memory().unwrap();
    let base = fixture(env!("CARGO_MANIFEST_DIR"), "post-orders.json");
    for (origin, allowed) in [
        ("https://shop.example.com", true),
        ("https://evil.example.com", false),
    ] {
        let v = with_header(base.clone(), "Origin", origin);
        let resp = create_order::handler::handle(&store, request(v))
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
