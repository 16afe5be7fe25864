//! End to end over real HTTP: the local host in-process on 127.0.0.1, an
//! ephemeral port and a temporary database.

use chrono::{TimeZone, Utc};
use http::{Method, StatusCode};
use orders_core::{OrderStatus, OrderWriter};
use orders_e2e_tests::{order_body, send, Host, ORIGIN};
use orders_test_support::orders::orders_over_time;
use serde_json::Value;

async fn list_ids(host: &Host, query: &str) -> Vec<String> {
    let a = host.get(&format!("/orders{query}")).await;
    assert_eq!(a.status, 200, "{}", a.text());
    a.json()["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_api_key_is_required_and_nothing_is_called_without_it() {
    let host = Host::start().await;
    let body = order_body("c-1", 1, "1.00").into_bytes();
    for key in [None, Some("wrong"), Some("")] {
        let mut h = vec![("content-type", "application/json".to_string())];
        if let Some(k) = key {
            h.push(("x-api-key", k.to_string()));
        }
        for (method, path, b) in [
            (Method::POST, "/orders", Some(body.clone())),
            (Method::GET, "/orders", None),
            (
                Method::GET,
                "/orders/0193a6f1-7c2e-7b3d-9a4f-5e6d7c8b9a01",
                None,
            ),
        ] {
            let a = send(host.addr(), method.clone(), path, &h, b).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path} {key:?}");
            let e = a.json();
            assert_eq!(e["error"]["code"], "FORBIDDEN");
            // The deployed gateway's INVALID_API_KEY response (contracts/gateway.json).
            assert_eq!(e["error"]["message"], "Missing or invalid API key");
            assert!(e["error"]["requestId"].is_string());
            assert_eq!(a.header("content-type"), Some("application/json"));
        }
    }
    assert!(list_ids(&host, "").await.is_empty(), "nothing was written");
    // Health needs no key.
    let a = send(host.addr(), Method::GET, "/health", &[], None).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn create_then_get_by_location_replay_and_key_reuse() {
    let host = Host::start().await;
    let body = r#"{"customerId":"cust-42","customerName":"Ada","items":[{"sku":"SKU-1","quantity":2,"price":"19.99"},{"productId":"SKU-2","qty":3,"price":0.1}]}"#;
    let h = |key: &str| {
        vec![
            ("x-api-key", host.key().to_string()),
            ("content-type", "application/json".to_string()),
            ("idempotency-key", key.to_string()),
        ]
    };
    let first = send(
        host.addr(),
        Method::POST,
        "/orders",
        &h("k-1"),
        Some(body.into()),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let order = first.json();
    let id = order["orderId"].as_str().unwrap();
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["total"], "40.28");
    let location = first.header("location").unwrap().to_string();
    assert_eq!(location, format!("/orders/{id}"));
    assert!(first.header("idempotent-replayed").is_none());

    let got = host.get(&location).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), order);

    let again = send(
        host.addr(),
        Method::POST,
        "/orders",
        &h("k-1"),
        Some(body.into()),
    )
    .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "byte for byte the first response");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("location"), Some(location.as_str()));

    let other = order_body("cust-42", 1, "1.00");
    let reused = send(
        host.addr(),
        Method::POST,
        "/orders",
        &h("k-1"),
        Some(other.into()),
    )
    .await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.code(), "IDEMPOTENCY_KEY_REUSED");

    assert_eq!(list_ids(&host, "").await, [id.to_string()]);
    let missing = host
        .get("/orders/0193a6f1-7c2e-7b3d-9a4f-5e6d7c8b9a01")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.code(), "NOT_FOUND");
    let bad = host.get("/orders/not-a-uuid").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.fields(), ["orderId"]);
}

#[tokio::test]
async fn bad_inputs_are_4xx_with_details_and_write_nothing() {
    let host = Host::start().await;
    let item = |q: &str, p: &str| format!(r#"{{"sku":"A","quantity":{q},"price":{p}}}"#);
    let many = vec![item("1", "\"1.00\""); 100].join(",");
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (
            r#"{"customerId":"c1","items":["#.into(),
            400,
            "MALFORMED_JSON",
            "",
        ),
        ("not json".into(), 400, "MALFORMED_JSON", ""),
        ("".into(), 400, "VALIDATION_FAILED", "body"),
        ("{}".into(), 400, "VALIDATION_FAILED", "customerId"),
        (
            format!(
                r#"{{"customerId":"c1","colour":"red","items":[{}]}}"#,
                item("1", "1")
            ),
            400,
            "VALIDATION_FAILED",
            "colour",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{}]}}"#, item("0", "1")),
            400,
            "VALIDATION_FAILED",
            "items[0].quantity",
        ),
        (
            format!(
                r#"{{"customerId":"c1","items":[{}]}}"#,
                item("1", "\"1.005\"")
            ),
            400,
            "VALIDATION_FAILED",
            "items[0].price",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{}]}}"#, item("1", "1.005")),
            400,
            "VALIDATION_FAILED",
            "items[0].price",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{}]}}"#, item("1", "-1")),
            400,
            "VALIDATION_FAILED",
            "items[0].price",
        ),
        (
            format!(r#"{{"customerId":"c1","items":[{many}]}}"#),
            400,
            "VALIDATION_FAILED",
            "items",
        ),
        (
            r#"{"customerId":"c1","items":[]}"#.into(),
            400,
            "VALIDATION_FAILED",
            "items",
        ),
        (
            format!(r#"{{"customerId":"c 1","items":[{}]}}"#, item("1", "1")),
            400,
            "VALIDATION_FAILED",
            "customerId",
        ),
        (
            format!(
                r#"{{"customerId":"c1","currency":"XXQ","items":[{}]}}"#,
                item("1", "1")
            ),
            400,
            "VALIDATION_FAILED",
            "currency",
        ),
    ];
    for (body, status, code, field) in cases {
        let a = host.post(&body).await;
        assert_eq!(a.status.as_u16(), status, "{body}: {}", a.text());
        assert_eq!(a.code(), code, "{body}: {}", a.text());
        if !field.is_empty() {
            assert!(
                a.fields().iter().any(|f| f == field),
                "{body}: {}",
                a.text()
            );
        }
    }
    // One byte over the limit, and 65 KiB + 1.
    let sized = |n: usize| {
        let pad = "x".repeat(n - 48);
        let b = format!(r#"{{"customerId":"c1","customerName":"{pad}","items":[]}}"#);
        assert_eq!(b.len(), n);
        b
    };
    for n in [64 * 1024 + 1, 65 * 1024 + 1] {
        let a = host.post(&sized(n)).await;
        assert_eq!(a.status, 413, "{n}");
        assert_eq!(a.code(), "PAYLOAD_TOO_LARGE");
        assert_eq!(a.fields(), ["body"]);
    }
    // Exactly 64 KiB is not too large (it fails validation instead).
    let a = host.post(&sized(64 * 1024)).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.fields(), ["customerName", "items"]);

    assert!(list_ids(&host, "").await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let host = Host::start().await;
    let a = host.get("/nope").await;
    assert_eq!(a.status, 404);
    assert_eq!(a.code(), "NOT_FOUND");
    let a = host.call(Method::DELETE, "/orders", None).await;
    assert_eq!(a.status, 405);
    assert_eq!(a.code(), "METHOD_NOT_ALLOWED");
    let a = host
        .call(
            Method::PUT,
            "/orders/0193a6f1-7c2e-7b3d-9a4f-5e6d7c8b9a01",
            Some("{}"),
        )
        .await;
    assert_eq!(a.status, 405);
}

/// Writes orders with every status straight into the database (the API
/// only creates PENDING ones), one second apart; returns (id, status) oldest
/// first.
async fn seed(db: &std::path::Path, n: usize) -> Vec<(String, OrderStatus)> {
    let store = orders_local::open_store(db).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let mut out = Vec::new();
    for order in orders_over_time(start, n, |i| OrderStatus::ALL[(i * 7 + i / 3) % 5]) {
        store.create_order(&order, None).await.unwrap();
        out.push((order.order_id.to_string(), order.status));
    }
    out
}

async fn paginate(host: &Host, base: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let q = match &token {
            Some(t) => format!("{base}&nextToken={t}"),
            None => base.to_string(),
        };
        let a = host.get(&format!("/orders?{q}")).await;
        assert_eq!(a.status, 200, "{q}: {}", a.text());
        let page = a.json();
        out.extend(
            page["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["orderId"].as_str().unwrap().to_string()),
        );
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
    panic!("pagination did not end")
}

#[tokio::test]
async fn lists_filter_sort_and_paginate_to_the_end() {
    let dir_host = Host::start().await;
    // Seed while no host holds the file, then start on it.
    let db = dir_host.db();
    dir_host.server.stop().await.unwrap();
    let seeded = seed(&db, 25).await;
    // API only: the pipeline would move the seeded PENDING orders on.
    let config = orders_local::Config {
        pipeline: None,
        ..orders_local::Config::new(&db)
    };
    let host = Host {
        server: orders_local::Server::start(&config, 0).await.unwrap(),
        dir: dir_host.dir,
    };
    let all: Vec<String> = seeded.iter().map(|(id, _)| id.clone()).collect();
    for order in ["asc", "desc"] {
        for limit in 1..=3 {
            let mut want = all.clone();
            if order == "desc" {
                want.reverse();
            }
            let got = paginate(&host, &format!("sortOrder={order}&limit={limit}")).await;
            assert_eq!(got, want, "all {order} {limit}");
            for st in OrderStatus::ALL {
                let mut want: Vec<String> = seeded
                    .iter()
                    .filter(|(_, s)| *s == st)
                    .map(|(id, _)| id.clone())
                    .collect();
                assert!(!want.is_empty());
                if order == "desc" {
                    want.reverse();
                }
                let got = paginate(
                    &host,
                    &format!("status={st}&sortOrder={order}&limit={limit}"),
                )
                .await;
                assert_eq!(got, want, "{st} {order} {limit}");
            }
        }
    }
    // Default: newest first.
    let mut newest: Vec<String> = all.clone();
    newest.reverse();
    assert_eq!(list_ids(&host, "").await, newest[..20]);

    // A tampered or foreign token is a 400, never a 500.
    let a = host.get("/orders?limit=1&status=PENDING").await;
    let token = a.json()["nextToken"].as_str().unwrap().to_string();
    let mut t = token.clone().into_bytes();
    let last = t.len() - 1;
    t[last] = if t[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(t).unwrap();
    for q in [
        format!("status=PENDING&limit=1&nextToken={tampered}"),
        format!("status=FAILED&limit=1&nextToken={token}"),
        "nextToken=abc".to_string(),
    ] {
        let a = host.get(&format!("/orders?{q}")).await;
        assert_eq!(a.status, 400, "{q}");
        assert_eq!(a.code(), "INVALID_PAGINATION_TOKEN");
    }
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("status=SHIPPED", "status"),
        ("sortOrder=sideways", "sortOrder"),
        ("limit=1&limit=2", "limit"),
        ("colour=red", "colour"),
    ] {
        let a = host.get(&format!("/orders?{q}")).await;
        assert_eq!(a.status, 400, "{q}");
        assert_eq!(a.code(), "VALIDATION_FAILED");
        assert_eq!(a.fields(), [field], "{q}");
    }
}

#[tokio::test]
async fn cors_preflight_and_allow_origin() {
    let host = Host::start().await;
    let pre = send(
        host.addr(),
        Method::OPTIONS,
        "/orders",
        &[
            ("origin", ORIGIN.to_string()),
            ("access-control-request-method", "POST".to_string()),
            (
                "access-control-request-headers",
                "content-type,x-api-key,idempotency-key".to_string(),
            ),
        ],
        None,
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some(ORIGIN));
    let methods = pre.header("access-control-allow-methods").unwrap();
    assert!(methods.contains("POST") && methods.contains("GET"));
    let headers = pre
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("x-api-key") && headers.contains("idempotency-key"));

    let evil = send(
        host.addr(),
        Method::OPTIONS,
        "/orders",
        &[("origin", "https://evil.example".to_string())],
        None,
    )
    .await;
    assert!(evil.header("access-control-allow-origin").is_none());

    let h = vec![
        ("x-api-key", host.key().to_string()),
        ("content-type", "application/json".to_string()),
        ("origin", ORIGIN.to_string()),
    ];
    let a = send(
        host.addr(),
        Method::POST,
        "/orders",
        &h,
        Some(order_body("c", 1, "1.00").into()),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(a.header("vary"), Some("Origin"));
    assert_eq!(
        a.header("access-control-expose-headers"),
        Some("Location, Idempotent-Replayed, x-amzn-RequestId")
    );
    // Errors (even the gateway's own) carry CORS headers too.
    let a = send(
        host.addr(),
        Method::GET,
        "/orders",
        &[("origin", ORIGIN.to_string())],
        None,
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.header("access-control-allow-origin"), Some(ORIGIN));
}

#[tokio::test]
async fn data_and_key_survive_a_restart() {
    let host = Host::start().await;
    let key = host.key().to_string();
    let a = host.post(&order_body("c-restart", 4, "2.25")).await;
    assert_eq!(a.status, 201);
    let location = a.header("location").unwrap().to_string();
    let order = a.json();
    assert_eq!(order["total"], "9.00");
    let api_key_file = host.db().parent().unwrap().join("api-key");
    assert_eq!(std::fs::read_to_string(&api_key_file).unwrap().trim(), key);

    let host = host.restart().await;
    assert_eq!(host.key(), key, "same key after a restart");
    let got = host.get(&location).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), order);
}
