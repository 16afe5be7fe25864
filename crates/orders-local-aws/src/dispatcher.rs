//! The outbox → queue dispatcher: the local stand-in for DynamoDB Streams and
//! the EventBridge Pipe that feed the processing queue (flow step 2).
//!
//! The store writes each new order's `OrderCreated` into its outbox in the
//! order's transaction. [`dispatch`] moves outbox rows onto a queue in one
//! transaction per batch: each row is deleted in the transaction that
//! enqueues it ([`dispatch_outbox`]), and the message id is the event id, so
//! a crash between the two steps can neither lose nor duplicate an event,
//! and two dispatchers, even in two processes, never move the same row
//! twice.
//!
//! [`run`] is the loop the local host runs: it drains the outbox, then
//! waits for the store's [`OutboxWaker`](orders_sqlite::OutboxWaker) (a
//! commit in this process that wrote outbox rows) or [`POLL_INTERVAL`]
//! (another process may have written).
//!
//! [`dispatch_outbox`]: orders_sqlite::SqliteStore::dispatch_outbox

use crate::queue::{enqueue_on, Queue};
use orders_core::error::StoreError;
use orders_sqlite::now_epoch_millis;
use std::time::Duration;
use tokio::sync::watch;

/// Most outbox rows moved in one transaction by [`run`].
pub const BATCH: usize = 500;
/// How often [`run`] looks at an outbox nothing in this process woke it for.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// Moves up to `max` outbox rows of `queue`'s store, oldest first, onto
/// `queue`, in one transaction, and wakes the queue's long polls in this
/// process. Returns how many moved (0 when the outbox is empty).
pub async fn dispatch(queue: &Queue, max: usize) -> Result<usize, StoreError> {
    let name = queue.name().to_string();
    let moved = queue
        .store()
        .dispatch_outbox(max, move |tx, rows| {
            let now = now_epoch_millis();
            for row in rows {
                // The message id is the event id: even a row somehow moved
                // twice could not become two messages.
                enqueue_on(tx, &name, &row.event_id, &row.body, now)?;
            }
            Ok(())
        })
        .await?;
    if moved > 0 {
        queue.wake();
        tracing::debug!(moved, queue = queue.name(), "outbox dispatched");
    }
    Ok(moved)
}

/// Dispatches the outbox of `queue`'s store onto `queue` until `stopped`
/// turns true (or its sender is dropped): in batches of [`BATCH`] while there
/// are rows, then waiting for the store's outbox waker or [`POLL_INTERVAL`].
/// A failed dispatch is logged and retried.
pub async fn run(queue: Queue, mut stopped: watch::Receiver<bool>) {
    // Subscribed before the first look, so a commit between a look and the
    // wait still wakes the loop.
    let mut written = queue.store().outbox_waker();
    loop {
        if *stopped.borrow() {
            return;
        }
        match dispatch(&queue, BATCH).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox dispatch failed; retrying"),
        }
        tokio::select! {
            _ = written.written() => {}
            _ = stopped.changed() => return,
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}
