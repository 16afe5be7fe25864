//! The list-orders handler on API Gateway REST proxy events, against the
//! embedded store: filters, both sort orders, pagination, refused input.

use chrono::{Duration, TimeZone, Utc};
use lambda_http::request::LambdaRequest;
use lambda_http::Body;
use list_orders::handler::handle;
use orders_core::model::new_order_id;
use orders_core::pagination::PageTokens;
use orders_core::{Order, OrderItem, OrderStatus, OrderWriter};
use orders_sqlite::SqliteStore;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

fn fixture() -> Value {
    let path = format!(
        "{}/tests/fixtures/list-orders.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The fixture with these query parameters (repeats allowed), in both the
/// single- and multi-value maps, as API Gateway sends them.
fn query(params: &[(&str, &str)]) -> Value {
    let mut v = fixture();
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, val) in params {
        single.insert(k.to_string(), json!(val));
        multi
            .entry(k.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(json!(val));
    }
    let nullable = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    v["queryStringParameters"] = nullable(single);
    v["multiValueQueryStringParameters"] = nullable(multi);
    v
}

async fn call(store: &SqliteStore, tokens: &PageTokens, v: Value) -> (u16, Value) {
    let req: LambdaRequest = serde_json::from_value(v).unwrap();
    let resp = handle(store, tokens, req.into()).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let Body::Text(t) = resp.body() else {
        panic!("text body")
    };
    (resp.status().as_u16(), serde_json::from_str(t).unwrap())
}

const STATUSES: [OrderStatus; 5] = OrderStatus::ALL;

/// 15 orders, one second apart, statuses round-robin. Returns (id, status)
/// in creation order.
async fn seed(store: &SqliteStore) -> Vec<(String, OrderStatus)> {
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 2, 1, 33).unwrap();
    let mut out = Vec::new();
    for i in 0..15 {
        let (id, _) = new_order_id();
        let status = STATUSES[i % 5];
        let t = start + Duration::seconds(i as i64);
        let order = Order {
            order_id: id,
            customer_id: format!("c-{i}"),
            customer_name: None,
            customer_email: None,
            customer_phone: None,
            items: vec![OrderItem {
                sku: "A".into(),
                quantity: 1,
                price: Decimal::new(100, 2),
                line_total: Decimal::new(100, 2),
            }],
            total: Decimal::new(100, 2),
            currency: "USD".into(),
            status,
            status_reason: (status == OrderStatus::Failed).then(|| "payment declined".into()),
            created_at: t,
            updated_at: t,
        };
        store.create_order(&order, None).await.unwrap();
        out.push((id.to_string(), status));
    }
    out
}

fn ids(page: &Value) -> Vec<String> {
    page["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap().to_string())
        .collect()
}

/// Follows nextToken to the end.
async fn all_pages(
    store: &SqliteStore,
    tokens: &PageTokens,
    base: &[(&str, &str)],
) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut params: Vec<(&str, &str)> = base.to_vec();
        if let Some(t) = &token {
            params.push(("nextToken", t));
        }
        let (status, page) = call(store, tokens, query(&params)).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        assert_eq!(page["count"], page["orders"].as_array().unwrap().len());
        seen.extend(ids(&page));
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
        assert!(pages < 100, "pagination does not end");
    }
    (seen, pages)
}

#[tokio::test]
async fn lists_with_filters_sorts_and_pages() {
    let s = SqliteStore::in_memory().unwrap();
    let tokens = PageTokens::new("orders-test");
    let seeded = seed(&s).await;
    let all: Vec<String> = seeded.iter().map(|(id, _)| id.clone()).collect();

    // Default: newest first, 20 per page.
    let (status, page) = call(&s, &tokens, query(&[])).await;
    assert_eq!(status, 200);
    let mut desc = all.clone();
    desc.reverse();
    assert_eq!(ids(&page), desc);
    assert!(page.get("nextToken").is_none());

    // The fixture's own query: PENDING, limit 2, ascending.
    let (status, page) = call(&s, &tokens, fixture()).await;
    assert_eq!(status, 200);
    let pending: Vec<String> = seeded
        .iter()
        .filter(|(_, st)| *st == OrderStatus::Pending)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(ids(&page), pending[..2]);
    assert!(page["nextToken"].is_string());

    for st in STATUSES {
        let expected: Vec<String> = seeded
            .iter()
            .filter(|(_, s2)| *s2 == st)
            .map(|(id, _)| id.clone())
            .collect();
        for (order, limit) in [("asc", "1"), ("desc", "2"), ("asc", "3")] {
            let (got, _) = all_pages(
                &s,
                &tokens,
                &[
                    ("status", st.as_str()),
                    ("sortOrder", order),
                    ("limit", limit),
                ],
            )
            .await;
            let mut want = expected.clone();
            if order == "desc" {
                want.reverse();
            }
            assert_eq!(got, want, "{st} {order} {limit}");
        }
    }
    for limit in ["1", "2", "3", "7", "100"] {
        let (got, pages) = all_pages(&s, &tokens, &[("limit", limit), ("sortOrder", "asc")]).await;
        assert_eq!(got, all, "limit {limit}");
        let l: usize = limit.parse().unwrap();
        assert!(
            pages >= all.len().div_ceil(l),
            "limit {limit}: {pages} pages"
        );
    }
}

#[tokio::test]
async fn refused_queries_are_400_with_details() {
    let s = SqliteStore::in_memory().unwrap();
    let tokens = PageTokens::new("orders-test");
    seed(&s).await;
    let (_, page) = call(&s, &tokens, query(&[("limit", "1"), ("status", "PENDING")])).await;
    let token = page["nextToken"].as_str().unwrap().to_string();

    let mut tampered = token.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("limit", "0")], "VALIDATION_FAILED", "limit"),
        (vec![("limit", "101")], "VALIDATION_FAILED", "limit"),
        (vec![("limit", "ten")], "VALIDATION_FAILED", "limit"),
        (vec![("status", "pending")], "VALIDATION_FAILED", "status"),
        (vec![("status", "SHIPPED")], "VALIDATION_FAILED", "status"),
        (vec![("sortOrder", "up")], "VALIDATION_FAILED", "sortOrder"),
        (vec![("colour", "red")], "VALIDATION_FAILED", "colour"),
        (
            vec![("limit", "1"), ("limit", "2")],
            "VALIDATION_FAILED",
            "limit",
        ),
        (
            vec![
                ("status", "PENDING"),
                ("limit", "1"),
                ("nextToken", &tampered),
            ],
            "INVALID_PAGINATION_TOKEN",
            "nextToken",
        ),
        (
            vec![("status", "PENDING"), ("nextToken", "garbage")],
            "INVALID_PAGINATION_TOKEN",
            "nextToken",
        ),
        // A token of another query (status) is refused too.
        (
            vec![("status", "FAILED"), ("nextToken", &token)],
            "INVALID_PAGINATION_TOKEN",
            "nextToken",
        ),
    ];
    for (params, code, field) in cases {
        let (status, body) = call(&s, &tokens, query(&params)).await;
        assert_eq!(status, 400, "{params:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{params:?}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], field, "{params:?}");
        assert_eq!(
            body["error"]["requestId"],
            "7e3c2b1a-4d5f-4a6b-8c9d-0e1f2a3b4c5d"
        );
    }
    // A token signed for another table is foreign.
    let (status, _) = call(
        &s,
        &PageTokens::new("orders-prod"),
        query(&[("status", "PENDING"), ("limit", "1"), ("nextToken", &token)]),
    )
    .await;
    assert_eq!(status, 400);
}
