//! The transactional outbox: the store's half of the local stand-in for
//! DynamoDB Streams and the EventBridge Pipe (flow step 2).
//!
//! The create transaction inserts the order's `OrderCreated` event into
//! `event_outbox` next to the order row, so the event exists exactly when the
//! order does: a rolled-back create leaves neither, an idempotent replay
//! writes neither. Likewise every status move inserts its
//! `OrderStatusChanged` in the transaction that moves the order (the local
//! stand-in for the stream's MODIFY record), and a move that does not happen
//! writes none. After each commit that wrote outbox rows the store wakes
//! its [`OutboxWaker`]s. [`SqliteStore::dispatch_outbox`] hands the oldest
//! rows to a dispatcher (`orders-local-aws` puts them on a queue) and deletes
//! them in the same transaction, so a crash between the two steps can neither
//! lose nor duplicate an event, and two dispatchers, even in two processes,
//! never move the same row twice.

use crate::{now_epoch_millis, SqliteStore};
use orders_core::error::StoreError;
use orders_core::events::{OrderCreated, OrderEvent, OrderStatusChanged};
use orders_core::model::Order;
use rusqlite::{params, Connection, Savepoint};
use tokio::sync::watch;

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
    write_event(conn, &OrderEvent::from(OrderCreated::from_order(order)))
}

/// Writes a status move's `OrderStatusChanged` into the outbox, inside the
/// caller's transaction (the transaction of the move itself).
pub(crate) fn write_status_changed(
    conn: &Connection,
    event: OrderStatusChanged,
) -> rusqlite::Result<()> {
    write_event(conn, &OrderEvent::from(event))
}

fn write_event(conn: &Connection, event: &OrderEvent) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO event_outbox (event_id, event_type, order_id, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        event.event_id().to_string(),
        event.event_type(),
        event.order_id().to_string(),
        event.to_json(),
        now_epoch_millis()
    ])?;
    Ok(())
}

/// Wakes when a transaction that wrote outbox rows commits in this process
/// (a new order now; any later write that adds an event the same way).
/// Made by [`SqliteStore::outbox_waker`]. Wake-ups are not queued one by one:
/// however many commits happened since the last wait, the next wait returns
/// at once, and only once. Other processes writing the same file do not wake
/// it, so a dispatcher also looks at the outbox now and then.
#[derive(Debug, Clone)]
pub struct OutboxWaker {
    written: watch::Receiver<u64>,
}

impl OutboxWaker {
    pub(crate) fn new(written: watch::Receiver<u64>) -> Self {
        Self { written }
    }

    /// Waits for the next commit that wrote outbox rows (returns at once if
    /// there was one since this waker last returned, or since it was made).
    /// Never returns once the store is gone.
    pub async fn written(&mut self) {
        if self.written.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl SqliteStore {
    /// Takes up to `max` outbox rows, oldest first, and hands them to
    /// `deliver` inside one write transaction that also deletes them: if
    /// `deliver` fails, or the process dies before the commit, the rows stay.
    /// Returns how many were delivered (0 when the outbox is empty; `deliver`
    /// is not called then).
    pub async fn dispatch_outbox<F>(&self, max: usize, deliver: F) -> Result<usize, StoreError>
    where
        F: FnOnce(&Savepoint<'_>, &[OutboxEntry]) -> rusqlite::Result<()> + Send + 'static,
    {
        self.with_writer(move |c| {
            let tx = c.savepoint()?;
            let rows = pending_on(&tx, max)?;
            if rows.is_empty() {
                return Ok(0);
            }
            deliver(&tx, &rows)?;
            {
                let mut delete = tx.prepare_cached("DELETE FROM event_outbox WHERE seq = ?1")?;
                for row in &rows {
                    delete.execute([row.seq])?;
                }
            }
            tx.commit()?;
            Ok(rows.len())
        })
        .await
    }

    /// Up to `limit` events still in the outbox, oldest first.
    pub async fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.with_reader(move |c| pending_on(c, limit)).await
    }
}

/// The oldest `limit` outbox rows.
fn pending_on(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<OutboxEntry>> {
    conn.prepare_cached(
        "SELECT seq, event_id, event_type, order_id, body, created_at \
         FROM event_outbox ORDER BY seq LIMIT ?1",
    )?
    .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
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
}
