//! [`StockAdmin`] on SQLite's `stock` table: list, get, set (reserved units
//! stay reserved) and seed (never overwrites).

use crate::inventory::{get_stock, stock_level, stock_row, STOCK_COLUMNS};
use crate::{blocking, map_err, SqliteStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::inventory::StockLevel;
use orders_core::ports::StockAdmin;
use rusqlite::params;

#[async_trait]
impl StockAdmin for SqliteStore {
    async fn list_stock(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StockLevel>, StoreError> {
        let after = after.map(str::to_string);
        let inner = self.inner.clone();
        blocking(move || {
            inner.read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {STOCK_COLUMNS} FROM stock WHERE ?1 IS NULL OR sku > ?1 \
                     ORDER BY sku LIMIT ?2"
                ))
                .and_then(|mut s| {
                    s.query_map(params![after, limit], stock_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(map_err)?
                .into_iter()
                .map(stock_level)
                .collect()
            })
        })
        .await
    }

    async fn get_stock(&self, sku: &str) -> Result<Option<StockLevel>, StoreError> {
        let sku = sku.to_string();
        let inner = self.inner.clone();
        blocking(move || inner.read(|c| get_stock(c, &sku))).await
    }

    async fn set_stock(
        &self,
        sku: &str,
        available: u32,
        at: DateTime<Utc>,
    ) -> Result<StockLevel, StoreError> {
        let sku = sku.to_string();
        self.with_writer_store(move |c| {
            c.prepare_cached(
                "INSERT INTO stock (sku, available, reserved, updated_at) VALUES (?1, ?2, 0, ?3) \
                 ON CONFLICT (sku) DO UPDATE SET available = excluded.available, \
                 updated_at = excluded.updated_at",
            )
            .and_then(|mut s| s.execute(params![sku, available, at.timestamp_millis()]))
            .map_err(map_err)?;
            get_stock(c, &sku)?.ok_or_else(|| StoreError::Other(format!("stock of {sku} vanished")))
        })
        .await
    }

    async fn seed_stock(
        &self,
        sku: &str,
        available: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sku = sku.to_string();
        self.with_writer_store(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT INTO stock (sku, available, reserved, updated_at) \
                     VALUES (?1, ?2, 0, ?3) ON CONFLICT (sku) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![sku, available, at.timestamp_millis()]))
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
