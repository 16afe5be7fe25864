//! The mixed load: order `i` of a run, its payment token, and the stock the
//! run starts from (docs/saga.md names the tokens and their outcomes).

use std::collections::BTreeMap;

/// The SKU every order has plenty of.
pub const PLENTIFUL: &str = "widget";
/// The SKU an order may find out of stock.
pub const SCARCE: &str = "gadget";

/// Every terminal path a mixed run takes, as the outcome tallies name them
/// (status, then the failure reason).
pub const PATHS: [&str; 4] = [
    "COMPLETED",
    "FAILED PAYMENT_DECLINED",
    "FAILED OUT_OF_STOCK",
    "FAILED PROCESSING_ERROR",
];

/// The payment token of order `i` (`None`: no token, approved): approved,
/// declined (two ways), transient then approved (1 and 2 failures), and
/// transient always (PROCESSING_ERROR after the saga's retries).
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

/// Order `i`: plenty of one SKU, every third order also some of the scarce
/// one, and a token from [`token_of`].
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

/// The stock a run starts with: plenty of one SKU, `scarce` units of the
/// other (about a third of the orders want 1 or 2 of it; 150 for 1,000
/// orders makes some run out).
pub fn initial_stock(scarce: u64) -> BTreeMap<String, u64> {
    BTreeMap::from([
        (PLENTIFUL.to_string(), 1_000_000),
        (SCARCE.to_string(), scarce),
    ])
}

/// `initial` as the host's stock file (`orders-local --stock`).
pub fn stock_file(initial: &BTreeMap<String, u64>) -> String {
    let items: Vec<serde_json::Value> = initial
        .iter()
        .map(|(sku, n)| serde_json::json!({"sku": sku, "quantity": n}))
        .collect();
    serde_json::json!({ "items": items }).to_string()
}
