//! The saga's invariants over a whole host, read through the API and the
//! local inspection resources: what the 1,000-order run and the kill -9 run
//! both assert once every order has settled.

use crate::client::Client;
use orders_core::ports::StockAdmin;
use orders_load::invariants::{check_under, execution_order, Snapshot, StockBefore};
use orders_sqlite::SqliteStore;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub use orders_load::invariants::{Conditions, Outcomes};
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

/// Waits (up to `timeout`) for [`all_settled`]; `what` names the wait in
/// the failure.
pub async fn wait_until_settled(c: &Client, what: &str, timeout: std::time::Duration) {
    crate::client::wait_for(what, timeout, || {
        let c = c.clone();
        async move { all_settled(&c).await }
    })
    .await;
}

/// Every invariant of the saga over the host's state (the checks of
/// `orders_load::invariants`, which the load tool counts), with the stock
/// each SKU had before the orders (`initial`); fails the test on any
/// violation and returns the outcomes.
pub async fn assert_invariants(c: &Client, initial: &BTreeMap<String, u64>) -> Outcomes {
    assert_invariants_under(c, initial, Conditions::default()).await
}

/// [`assert_invariants`] for a run under `conditions` (injected faults).
pub async fn assert_invariants_under(
    c: &Client,
    initial: &BTreeMap<String, u64>,
    conditions: Conditions,
) -> Outcomes {
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
    let report = check_under(&snap, &accepted, &before, conditions);
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

/// Every execution, newest first (`/local/executions`).
pub async fn executions(c: &Client) -> Vec<Value> {
    c.local("/local/executions?limit=100000").await["executions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Once no saga runs: the orders an operator must look at, because an
/// execution of theirs failed (`CompensationFailed`: a compensation or a
/// Mark step kept failing) with no execution succeeding after it. Most are
/// still PROCESSING, compensating; some are settled already (the step
/// committed before every one of its invocations failed). `None` while any
/// execution still runs, an order is PENDING, or a PROCESSING order has no
/// execution yet.
pub async fn orders_needing_an_operator(c: &Client) -> Option<Vec<String>> {
    let execs = executions(c).await;
    if execs.iter().any(|e| e["status"] == "RUNNING") {
        return None;
    }
    let mut needy = Vec::new();
    for o in c.orders().await {
        let id = o["orderId"].as_str().unwrap_or_default();
        let mine: Vec<&Value> = execs.iter().filter(|e| execution_order(e) == id).collect();
        match o["status"].as_str() {
            Some("PENDING") => return None,
            Some("PROCESSING") if mine.is_empty() => return None,
            _ => {}
        }
        let last_success = mine
            .iter()
            .filter(|e| e["status"] == "SUCCEEDED")
            .filter_map(|e| e["startedAt"].as_str())
            .max();
        let unanswered = mine.iter().any(|e| {
            e["status"] != "SUCCEEDED"
                && last_success.is_none_or(|t| e["startedAt"].as_str().unwrap_or_default() > t)
        });
        if o["status"] == "PROCESSING" || unanswered {
            needy.push(id.to_string());
        }
    }
    Some(needy)
}

/// [`orders_needing_an_operator`], polled until no saga runs; `None` if
/// sagas still run after `timeout`.
pub async fn wait_for_orders_needing_an_operator(
    c: &Client,
    timeout: std::time::Duration,
) -> Option<Vec<String>> {
    let start = std::time::Instant::now();
    while start.elapsed() < timeout {
        if let Some(stuck) = orders_needing_an_operator(c).await {
            return Some(stuck);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    None
}

/// What an operator does for an order whose saga ended in
/// `CompensationFailed` (docs/operations.md): start the saga again under a
/// new name; it finishes the compensation, or ends `Superseded` when the
/// order was settled already. The host on `db` must be stopped; its next start resumes the
/// new executions.
pub async fn rerun_sagas(db: &std::path::Path, orders: &[String]) {
    if orders.is_empty() {
        return;
    }
    let store = orders_local::open_store(db).unwrap();
    let executor =
        orders_local::saga::saga_executor(&store, orders_local::pipeline::saga_options(None))
            .unwrap();
    for id in orders {
        let order_id = uuid::Uuid::parse_str(id).unwrap();
        executor
            .start(
                &format!("{id}~operator"),
                orders_core::usecases::saga::saga_input(order_id),
            )
            .await
            .unwrap();
    }
}
