//! Helpers shared by the integration tests.
#![allow(dead_code)]

use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::Order;
use std::path::PathBuf;
use uuid::Uuid;

/// A fresh database file under the temp dir, removed (with its WAL) on drop.
pub struct TempDb {
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("orders-sqlite-{}.db", Uuid::now_v7()));
        Self { path }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

pub fn order() -> Order {
    order_for("c1")
}

pub fn order_for(customer: &str) -> Order {
    let mut o: Order = serde_json::from_value(serde_json::json!({
        "orderId": Uuid::now_v7(), "customerId": customer,
        "customerName": "Ada Lovelace",
        "items": [
            {"sku": "A", "quantity": 2, "price": "1.50", "lineTotal": "3.00"},
            {"sku": "B", "quantity": 1, "price": "0.10", "lineTotal": "0.10"}
        ],
        "total": "3.10", "currency": "USD", "status": "PENDING",
        "createdAt": "2026-11-22T02:01:33.123Z", "updatedAt": "2026-11-22T02:01:33.123Z"
    }))
    .unwrap();
    o.customer_email = Some("ada@example.com".into());
    o
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn record(key: &str, order: &Order, hash: &str, expires_at: i64) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.into(),
        request_hash: hash.into(),
        order_id: order.order_id,
        status_code: 201,
        response_body: "{}".into(),
        expires_at,
    }
}
