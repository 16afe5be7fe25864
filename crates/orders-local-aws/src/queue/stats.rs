//! Approximate counts of a queue and its dead letters.

use super::Queue;
use orders_core::error::StoreError;
use orders_sqlite::now_epoch_millis;
use rusqlite::params;

/// Approximate counts, as SQS reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Ready to be received.
    pub visible: u64,
    /// Received and not yet deleted or visible again.
    pub in_flight: u64,
    /// In the dead-letter queue, from this queue.
    pub dead_letters: u64,
}

impl Queue {
    /// Approximate counts of this queue and its dead letters.
    pub async fn stats(&self) -> Result<QueueStats, StoreError> {
        let config = self.config.clone();
        self.store
            .with_reader(move |c| {
                let now = now_epoch_millis();
                let (visible, in_flight): (i64, i64) = c
                    .prepare_cached(
                        "SELECT COALESCE(SUM(visible_at <= ?2), 0), COALESCE(SUM(visible_at > ?2), 0) \
                         FROM queue_messages WHERE queue = ?1",
                    )?
                    .query_row(params![config.name, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let dead_letters: i64 = c
                    .prepare_cached(
                        "SELECT COUNT(*) FROM queue_messages WHERE queue = ?1 AND source_queue = ?2",
                    )?
                    .query_row(params![config.dead_letter_queue, config.name], |r| r.get(0))?;
                Ok(QueueStats {
                    visible: visible as u64,
                    in_flight: in_flight as u64,
                    dead_letters: dead_letters as u64,
                })
            })
            .await
    }
}
