//! Sending: a new message, visible at once.

use super::Queue;
use orders_core::error::StoreError;
use orders_sqlite::now_epoch_millis;
use rusqlite::{params, Connection};
use uuid::Uuid;

impl Queue {
    /// Enqueues `body`, visible at once. Returns the message id.
    pub async fn send(&self, body: impl Into<String>) -> Result<String, StoreError> {
        let id = Uuid::now_v7().to_string();
        let (queue, body, message_id) = (self.config.name.clone(), body.into(), id.clone());
        self.store
            .with_writer(move |c| enqueue_on(c, &queue, &message_id, &body, now_epoch_millis()))
            .await?;
        self.wake();
        Ok(id)
    }
}

/// Inserts a message into `queue`, visible at once, inside the caller's
/// transaction (or on its own). A message id already present, on any queue,
/// is not inserted again: `false` then.
pub(crate) fn enqueue_on(
    conn: &Connection,
    queue: &str,
    message_id: &str,
    body: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) \
         VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (message_id) DO NOTHING",
    )?
    .execute(params![queue, message_id, body, now])
    .map(|n| n > 0)
}
