//! The list-orders handler on API Gateway REST proxy events, against the
//! embedded store: filters, both sort orders, pagination, refused input.

use chrono::{TimeZone, Utc};
use list_orders::handler::handle;
use orders_core::{OrderStatus, OrderWriter};
use orders_sqlite::SqliteStore;
use orders_test_support::events::{self, request, with_query, Answer};
use orders_test_support::orders::orders_over_time;
use serde_json::Value;

fn fixture() -> Value {
    events::fixture(env!("CARGO_MANIFEST_DIR"), "list-orders.json")
}

/// The fixture with these query parameters (repeats allowed).
fn query(params: &[(&str, &str)]) -> Value {
    with_query(fixture(), params)
}

async fn call(store: &SqliteStore, v: Value) -> (u16, Value) {
    let a = Answer::of(handle(store, request(v)).await.unwrap());
    (a.status, a.body)
}

const STATUSES: [OrderStatus; 5] = OrderStatus::ALL;

/// 15 orders, one second apart, statuses round-robin. Returns (id, status)
/// in creation order.
async fn seed(store: &SqliteStore) -> Vec<(String, OrderStatus)> {
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 2, 1, 33).unwrap();
    let mut out = Vec::new();
    for order in orders_over_time(start, 15, |i| STATUSES[i % 5]) {
        store.create_order(&order, None).await.unwrap();
        out.push((order.order_id.to_string(), order.status));
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
async fn all_pages(store: &SqliteStore, base: &[(&str, &str)]) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let mut params: Vec<(&str, &str)> = base.to_vec();
        if let Some(t) = &token {
            params.push(("nextToken", t));
        }
        let (status, page) = call(store, query(&params)).await;
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
    let seeded = seed(&s).await;
    let all: Vec<String> = seeded.iter().map(|(id, _)| id.clone()).collect();

    // Default: newest first, 20 per page.
    let (status, page) = call(&s, query(&[])).await;
    assert_eq!(status, 200);
    let mut desc = all.clone();
    desc.reverse();
    assert_eq!(ids(&page), desc);
    assert!(page.get("nextToken").is_none());

    // The fixture's own query: PENDING, limit 2, ascending.
    let (status, page) = call(&s, fixture()).await;
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
        let (got, pages) = all_pages(&s, &[("limit", limit), ("sortOrder", "asc")]).await;
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
    seed(&s).await;
    let (_, page) = call(&s, query(&[("limit", "1"), ("status", "PENDING")])).await;
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
        let (status, body) = call(&s, query(&params)).await;
        assert_eq!(status, 400, "{params:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{params:?}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], field, "{params:?}");
        assert_eq!(
            body["error"]["requestId"],
            "7e3c2b1a-4d5f-4a6b-8c9d-0e1f2a3b4c5d"
        );
    }
    // A token of the old signed format (payload.tag) is refused cleanly.
    let old = format!("{token}.c2lnbmF0dXJl");
    let (status, body) = call(
        &s,
        query(&[("status", "PENDING"), ("limit", "1"), ("nextToken", &old)]),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_PAGINATION_TOKEN");
}
