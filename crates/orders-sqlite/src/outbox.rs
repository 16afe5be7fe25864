//! The transactional outbox: the local stand-in for DynamoDB Streams and the
//! EventBridge Pipe (flow step 2).
//!
//! The create transaction inserts the order's `OrderCreated` event into
//! `event_outbox` next to the order row, so the event exists exactly when the
//! order does: a rolled-back create leaves neither, an idempotent replay
//! writes neither. [`dispatch`] then moves outbox rows into a queue, deleting
//! each row in the same transaction that enqueues it (the queue message id is
//! the event id), so a crash between the two steps can neither lose nor
//! duplicate an event, and two dispatchers, even in two processes, never move
//! the same row twice.

use crate::queue::Queue;
use crate::{now_epoch_millis, SqliteStore};
use orders_core::error::StoreError;
use orders_core::events::{OrderCreated, OrderEvent};
use orders_core::model::Order;
use rusqlite::{params, Connection, TransactionBehavior};

/// One event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Insertion order.
    pub seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub order_id: String,
    /// The event document (validates against its schema in `contracts/events`).
    pub body: String,
    /// Epoch milliseconds.
    pub created_at_ms: i64,
}

/// Writes `order`'s `OrderCreated` into the outbox, inside the caller's
/// transaction.
pub(crate) fn write_order_created(conn: &Connection, order: &Order) -> rusqlite::Result<()> {
    let event = OrderEvent::from(OrderCreated::from_order(order));
    conn.prepare_cached(
        "INSERT INTO event_outbox (event_id, event_type, order_id, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        event.event_id().to_string(),
        event.event_type(),
        order.order_id.to_string(),
        event.to_json(),
        now_epoch_millis()
    ])?;
    Ok(())
}

/// Moves up to `max` outbox rows, oldest first, into `queue`, in one
/// transaction: each row is deleted where its message is inserted. Returns
/// how many moved (0 when the outbox is empty).
pub fn dispatch_on(conn: &mut Connection, queue: &str, max: usize) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rows: Vec<(i64, String, String)> = tx
        .prepare_cached("SELECT seq, event_id, body FROM event_outbox ORDER BY seq LIMIT ?1")?
        .query_map([i64::try_from(max).unwrap_or(i64::MAX)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let now = now_epoch_millis();
    for (seq, event_id, body) in &rows {
        // The message id is the event id: even a row somehow moved twice
        // could not become two messages.
        tx.prepare_cached(
            "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) \
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (message_id) DO NOTHING",
        )?
        .execute(params![queue, event_id, body, now])?;
        tx.prepare_cached("DELETE FROM event_outbox WHERE seq = ?1")?
            .execute([seq])?;
    }
    tx.commit()?;
    Ok(rows.len())
}

/// Moves up to `max` outbox rows into `queue` (see [`dispatch_on`]) and
/// wakes the queue's long polls in this process.
pub async fn dispatch(queue: &Queue, max: usize) -> Result<usize, StoreError> {
    let name = queue.name().to_string();
    let moved = queue
        .store()
        .with_writer(move |c| dispatch_on(c, &name, max))
        .await?;
    if moved > 0 {
        queue.wake();
        tracing::debug!(moved, queue = queue.name(), "outbox dispatched");
    }
    Ok(moved)
}

impl SqliteStore {
    /// Up to `limit` events still in the outbox, oldest first.
    pub async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_reader(move |c| {
            c.prepare_cached(
                "SELECT seq, event_id, event_type, order_id, body, created_at \
                 FROM event_outbox ORDER BY seq LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok(OutboxEntry {
                    seq: r.get(0)?,
                    event_id: r.get(1)?,
                    event_type: r.get(2)?,
                    order_id: r.get(3)?,
                    body: r.get(4)?,
                    created_at_ms: r.get(5)?,
                })
            })?
            .collect()
        })
        .await
    }
}
