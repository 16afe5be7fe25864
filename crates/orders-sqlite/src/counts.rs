//! Counts for the local host's status page: orders per status (one
//! `GROUP BY` on the status index) and the outbox's length.

use crate::SqliteStore;
use orders_core::error::StoreError;
use orders_core::OrderStatus;

impl SqliteStore {
    /// How many orders have each status, for every status of the lifecycle
    /// in its order ([`OrderStatus::ALL`]), those without orders with 0.
    pub async fn order_counts(&self) -> Result<Vec<(OrderStatus, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = self
            .with_reader(|c| {
                c.prepare_cached("SELECT status, COUNT(*) FROM orders GROUP BY status")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .await?;
        let mut out: Vec<(OrderStatus, u64)> = OrderStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for (status, n) in rows {
            let slot = out
                .iter_mut()
                .find(|(s, _)| s.as_str() == status)
                .ok_or_else(|| StoreError::Corrupt(format!("order status {status:?}")))?;
            slot.1 = u64::try_from(n).unwrap_or_default();
        }
        Ok(out)
    }

    /// How many events wait in the outbox.
    pub async fn outbox_len(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .with_reader(|c| {
                c.prepare_cached("SELECT COUNT(*) FROM event_outbox")?
                    .query_row([], |r| r.get(0))
            })
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}
