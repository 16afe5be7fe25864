//! The saga's invariants over a whole host, read through the API and the
//! local inspection resources: what the 1,000-order run and the kill -9 run
//! both assert once every order has settled.

use crate::client::Client;
use orders_core::inventory::StockAdmin;
use orders_sqlite::SqliteStore;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// The SKU every test order has plenty of.
pub const PLENTIFUL: &str = "widget";
/// The SKU a test order may find out of stock.
pub const SCARCE: &str = "gadget";

/// The payment tokens of order `i` of a mixed load (`None`: no token).
pub fn token_of(i: usize) -> Option<&'static str> {
    match i % 10 {
        0 => None,
        1..=3 => Some("tok_approve"),
        4 => Some("tok_decline_insufficient_funds"),
        5 => Some("tok_decline_card"),
        6 => Some("tok_transient_1"),
        7 => Some("tok_transient_2"),
        8 => Some("tok_transient_always"),
        _ => Some("tok_approve"),
    }
}

/// Order `i` of a mixed load: plenty of one SKU, every third order also
/// some of the scarce one, and a token from [`token_of`].
pub fn mixed_order(i: usize) -> String {
    let mut items = vec![format!(
        r#"{{"sku":"{PLENTIFUL}","quantity":{},"price":"4.99"}}"#,
        1 + i % 3
    )];
    if i % 3 == 0 {
        items.push(format!(
            r#"{{"sku":"{SCARCE}","quantity":{},"price":"19.50"}}"#,
            1 + i % 2
        ));
    }
    let token = token_of(i)
        .map(|t| format!(r#","paymentToken":"{t}""#))
        .unwrap_or_default();
    format!(
        r#"{{"customerId":"saga-{i}","currency":"EUR","items":[{}]{token}}}"#,
        items.join(",")
    )
}

/// The stock the runs start with: plenty of one SKU, 150 units of the other
/// (about a third of the orders want 1 or 2 of it).
pub async fn stock_up(store: &SqliteStore) -> BTreeMap<String, u64> {
    let initial = BTreeMap::from([(PLENTIFUL.to_string(), 100_000), (SCARCE.to_string(), 150)]);
    for (sku, n) in &initial {
        store
            .set_stock(sku, *n as u32, chrono::Utc::now())
            .await
            .unwrap();
    }
    initial
}

/// True once every order is COMPLETED or FAILED and every one has its two
/// notifications (PROCESSING and the final status).
pub async fn all_settled(c: &Client) -> bool {
    let orders = c.orders().await;
    let settled = orders
        .iter()
        .all(|o| matches!(o["status"].as_str(), Some("COMPLETED" | "FAILED")));
    settled && c.notifications().await.len() == 2 * orders.len()
}

fn money(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("money: {v}"))).unwrap()
}

/// Counts of orders per final status and reason, for the test's report.
pub type Outcomes = BTreeMap<String, usize>;

/// Asserts every invariant of the saga over the host's state, with the
/// stock each SKU had before the orders (`initial`); returns the outcomes.
pub async fn assert_invariants(c: &Client, initial: &BTreeMap<String, u64>) -> Outcomes {
    let orders = c.orders().await;
    let payments = c.local("/local/payments?limit=100000").await;
    let stock = c.local("/local/stock").await;
    let executions = c.local("/local/executions?limit=100000").await;
    let notes = c.notifications().await;

    let mut paid: HashMap<String, &Value> = HashMap::new();
    for p in payments["payments"].as_array().unwrap() {
        let id = p["orderId"].as_str().unwrap().to_string();
        assert!(
            paid.insert(id.clone(), p).is_none(),
            "order {id} has two payments"
        );
    }
    let mut reserved_by_completed: BTreeMap<String, u64> = BTreeMap::new();
    let mut outcomes = Outcomes::new();
    for o in &orders {
        let id = o["orderId"].as_str().unwrap();
        let status = o["status"].as_str().unwrap();
        let reason = o["statusReason"].as_str();
        let token = o["paymentToken"].as_str().unwrap_or("tok_approve");
        let payment = paid.get(id);
        *outcomes
            .entry(
                format!("{status} {}", reason.unwrap_or(""))
                    .trim()
                    .to_string(),
            )
            .or_default() += 1;
        let has_scarce = o["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["sku"] == SCARCE);
        match (status, reason) {
            ("COMPLETED", None) => {
                assert!(
                    !token.starts_with("tok_decline") && token != "tok_transient_always",
                    "order {id} with {token} completed"
                );
                let p = payment.unwrap_or_else(|| panic!("completed order {id} has no payment"));
                assert_eq!(p["status"], "CHARGED", "order {id}: {p}");
                assert_eq!(
                    money(&p["amount"]),
                    money(&o["total"]),
                    "order {id}: charged the exact total"
                );
                assert!(
                    p.get("refund").is_none(),
                    "completed order {id} was refunded: {p}"
                );
                for item in o["items"].as_array().unwrap() {
                    *reserved_by_completed
                        .entry(item["sku"].as_str().unwrap().to_string())
                        .or_default() += item["quantity"].as_u64().unwrap();
                }
            }
            ("FAILED", Some("PAYMENT_DECLINED")) => {
                assert!(
                    token.starts_with("tok_decline"),
                    "order {id} with {token} declined"
                );
                let p =
                    payment.unwrap_or_else(|| panic!("declined order {id} has no payment record"));
                assert_eq!(p["status"], "DECLINED", "order {id}: {p}");
            }
            ("FAILED", Some("OUT_OF_STOCK")) => {
                assert!(
                    has_scarce,
                    "order {id} without the scarce SKU was out of stock"
                );
                let detail = o["statusDetail"].as_str().unwrap_or_default();
                assert!(
                    detail.contains(SCARCE),
                    "order {id}: the SKU is named: {detail}"
                );
                let p = payment.unwrap_or_else(|| panic!("out-of-stock order {id} has no payment"));
                assert_eq!(
                    p["status"], "REFUNDED",
                    "order {id}: charged, then refunded once: {p}"
                );
                assert_eq!(
                    money(&p["refund"]["amount"]),
                    money(&o["total"]),
                    "order {id}"
                );
            }
            ("FAILED", Some("PROCESSING_ERROR")) => {
                assert_eq!(
                    token, "tok_transient_always",
                    "order {id} failed with a processing error"
                );
                if let Some(p) = payment {
                    assert_ne!(p["status"], "CHARGED", "order {id} kept its charge: {p}");
                }
            }
            other => panic!("order {id} ended {other:?}"),
        }
        for s in ["PROCESSING", status] {
            assert_eq!(
                notes.get(&(id.to_string(), s.to_string())),
                Some(&1),
                "order {id}: one {s} notification"
            );
        }
    }
    assert_eq!(notes.len(), 2 * orders.len(), "no other notifications");
    assert!(paid
        .keys()
        .all(|id| orders.iter().any(|o| o["orderId"] == id.as_str())));

    // Stock: never below zero, nothing created or lost, and what is
    // reserved is exactly what the completed orders hold.
    let mut seen = 0;
    for s in stock["stock"].as_array().unwrap() {
        let sku = s["sku"].as_str().unwrap();
        let (available, reserved) = (
            s["available"].as_i64().unwrap(),
            s["reserved"].as_i64().unwrap(),
        );
        assert!(available >= 0 && reserved >= 0, "{sku}: {s}");
        if let Some(start) = initial.get(sku) {
            seen += 1;
            assert_eq!(
                (available + reserved) as u64,
                *start,
                "{sku}: units appeared or vanished: {s}"
            );
            assert_eq!(
                reserved as u64,
                reserved_by_completed.get(sku).copied().unwrap_or(0),
                "{sku}: reserved = the completed orders' quantities"
            );
        }
    }
    assert_eq!(
        seen,
        initial.len(),
        "every SKU has its stock record: {stock}"
    );

    // Every execution ended, none failed (no half-compensated order).
    let execs = executions["executions"].as_array().unwrap();
    assert_eq!(execs.len(), orders.len(), "one execution per order");
    for e in execs {
        assert_eq!(e["status"], "SUCCEEDED", "{e}");
    }
    outcomes
}
