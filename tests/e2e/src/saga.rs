//! The saga's invariants over a whole host, read through the API and the
//! local inspection resources: what the 1,000-order run and the kill -9 run
//! both assert once every order has settled.

use crate::client::Client;
use orders_core::inventory::StockAdmin;
use orders_load::invariants::{check, Snapshot, StockBefore};
use orders_sqlite::SqliteStore;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub use orders_load::invariants::Outcomes;
pub use orders_load::mix::{mixed_order, token_of, PLENTIFUL, SCARCE};

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

/// Every invariant of the saga over the host's state (the checks of
/// `orders_load::invariants`, which the load tool counts), with the stock
/// each SKU had before the orders (`initial`); fails the test on any
/// violation and returns the outcomes.
pub async fn assert_invariants(c: &Client, initial: &BTreeMap<String, u64>) -> Outcomes {
    let orders = c.orders().await;
    let list = |v: Value, name: &str| v[name].as_array().cloned().unwrap_or_default();
    let snap = Snapshot {
        payments: list(c.local("/local/payments?limit=100000").await, "payments"),
        stock: list(c.local("/local/stock").await, "stock"),
        executions: list(
            c.local("/local/executions?limit=100000").await,
            "executions",
        ),
        notifications: c.notifications().await,
        orders,
    };
    let accepted: BTreeSet<String> = snap
        .orders
        .iter()
        .map(|o| o["orderId"].as_str().unwrap().to_string())
        .collect();
    let before = initial
        .iter()
        .map(|(sku, n)| {
            let b = StockBefore {
                total: *n,
                reserved: 0,
            };
            (sku.clone(), b)
        })
        .collect();
    let report = check(&snap, &accepted, &before);
    assert!(
        report.violations.is_empty(),
        "{} violations, first: {:#?}",
        report.violations.len(),
        &report.violations[..report.violations.len().min(10)]
    );
    // Every payment is of an order.
    assert!(snap
        .payments
        .iter()
        .all(|p| accepted.contains(p["orderId"].as_str().unwrap())));
    assert_eq!(report.terminal, accepted.len());
    report.outcomes
}
