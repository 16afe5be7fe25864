//! What a consumer does with the receipt handle of its latest receive:
//! delete the message (one or a batch) or change its visibility. A stale
//! handle (the message was received again since) matches nothing.

use super::{millis, Queue};
use orders_core::error::StoreError;
use orders_sqlite::now_epoch_millis;
use rusqlite::params;
use std::time::Duration;

const DELETE_BY_RECEIPT: &str = "DELETE FROM queue_messages WHERE queue = ?1 AND receipt = ?2";

impl Queue {
    /// Deletes the message `receipt_handle` was issued for. `false` when the
    /// handle is stale (the message was received again since) or the message
    /// is gone; nothing is deleted then.
    pub async fn delete(&self, receipt_handle: &str) -> Result<bool, StoreError> {
        let (queue, receipt) = (self.config.name.clone(), receipt_handle.to_string());
        self.store
            .with_writer(move |c| {
                c.prepare_cached(DELETE_BY_RECEIPT)?
                    .execute(params![queue, receipt])
                    .map(|n| n > 0)
            })
            .await
    }

    /// Deletes the messages of several receipt handles in one transaction
    /// (SQS `DeleteMessageBatch`); how many were deleted. Stale handles are
    /// skipped, as by [`Queue::delete`].
    pub async fn delete_batch(&self, receipt_handles: &[&str]) -> Result<usize, StoreError> {
        if receipt_handles.is_empty() {
            return Ok(0);
        }
        let queue = self.config.name.clone();
        let receipts: Vec<String> = receipt_handles.iter().map(|r| r.to_string()).collect();
        self.store
            .with_writer(move |c| {
                let tx = c.savepoint()?;
                let mut deleted = 0;
                {
                    let mut stmt = tx.prepare_cached(DELETE_BY_RECEIPT)?;
                    for r in &receipts {
                        deleted += stmt.execute(params![queue, r])?;
                    }
                }
                tx.commit()?;
                Ok(deleted)
            })
            .await
    }

    /// Makes an in-flight message visible again after `visibility` from now
    /// (zero: at once). `false` when the handle is stale or the message is no
    /// longer in flight (its visibility timeout already ran out).
    pub async fn change_visibility(
        &self,
        receipt_handle: &str,
        visibility: Duration,
    ) -> Result<bool, StoreError> {
        let (queue, receipt) = (self.config.name.clone(), receipt_handle.to_string());
        let changed = self
            .store
            .with_writer(move |c| {
                let now = now_epoch_millis();
                c.prepare_cached(
                    "UPDATE queue_messages SET visible_at = ?3 \
                     WHERE queue = ?1 AND receipt = ?2 AND visible_at > ?4",
                )?
                .execute(params![
                    queue,
                    receipt,
                    now.saturating_add(millis(visibility)),
                    now
                ])
                .map(|n| n > 0)
            })
            .await?;
        if changed && visibility.is_zero() {
            self.wake();
        }
        Ok(changed)
    }
}
