//! Helpers shared by the integration tests.
#![allow(dead_code)]

use orders_core::model::Order;
use orders_core::ports::OrderReader;
use orders_sqlite::SqliteStore;
use std::path::PathBuf;

/// A database file in a fresh temporary directory, removed (with its WAL)
/// on drop.
pub struct TempDb {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TempDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            path: dir.path().join("orders.db"),
            _dir: dir,
        }
    }
}

/// A new order of Ada's (e-mail, and a phone when `phone`), created through
/// the use case, as the create function writes it (with its outbox event).
pub async fn create(store: &SqliteStore, phone: bool) -> Order {
    let phone = if phone {
        r#","customerPhone":"+14155550100""#
    } else {
        ""
    };
    let body = format!(
        r#"{{"customerId":"c-1","customerName":"Ada Lovelace","customerEmail":"ada@example.com"{phone},"items":[{{"sku":"A","quantity":2,"price":"1.50"}},{{"sku":"B","quantity":1,"price":"0.10"}}]}}"#
    );
    let created = orders_validation::create_order(store, body.as_bytes(), None, chrono::Utc::now())
        .await
        .unwrap();
    store.get_order(created.order_id).await.unwrap().unwrap()
}
