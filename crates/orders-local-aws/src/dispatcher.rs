//! The outbox → queue dispatcher: the local stand-in for DynamoDB Streams and
//! the two EventBridge Pipes (flow steps 2 and 5): `OrderCreated` to the
//! processing queue, `OrderStatusChanged` to the notifications topic.
//!
//! The store writes each new order's `OrderCreated` into its outbox in the
//! order's transaction, and each status move's `OrderStatusChanged` in the
//! move's. [`dispatch`] moves outbox rows onto their queue ([`Route`]) in one
//! transaction per batch: each row is deleted in the transaction that
//! enqueues it ([`dispatch_outbox`]), and the message id is the event id, so
//! a crash between the two steps can neither lose nor duplicate an event,
//! and two dispatchers, even in two processes, never move the same row
//! twice.
//!
//! On request ([`Route::with_redelivery`]) an `OrderCreated` is also
//! enqueued a second time, as SQS's at-least-once delivery may hand it out,
//! with the message id `<event_id>~redelivery`: still one fixed id per copy,
//! in the same transaction, so a crash cannot add a third.
//!
//! [`run`] is the loop the local host runs: it drains the outbox, then
//! waits for the store's [`OutboxWaker`](orders_sqlite::OutboxWaker) (a
//! commit in this process that wrote outbox rows) or [`POLL_INTERVAL`]
//! (another process may have written).
//!
//! [`dispatch_outbox`]: orders_sqlite::SqliteStore::dispatch_outbox

use crate::queue::{enqueue_on, Queue};
use orders_core::error::StoreError;
use orders_core::events::ORDER_CREATED;
use orders_sqlite::now_epoch_millis;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Most outbox rows moved in one transaction by [`run`].
pub const BATCH: usize = 500;
/// How often [`run`] looks at an outbox nothing in this process woke it for.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// What a redelivered copy's message id adds to the event id.
pub const REDELIVERY_SUFFIX: &str = "~redelivery";

/// The message id of an event's redelivered copy: `<event_id>~redelivery`.
pub fn redelivery_id(event_id: &str) -> String {
    format!("{event_id}{REDELIVERY_SUFFIX}")
}

/// Decides from an event id whether its `OrderCreated` is delivered twice.
/// A function of the id alone, so the same events are redelivered on every
/// run (the local host's `--redeliver` and `--fault-seed`).
#[derive(Clone)]
pub struct Redelivery(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl Redelivery {
    pub fn new(decide: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(decide))
    }

    pub fn applies_to(&self, event_id: &str) -> bool {
        (self.0)(event_id)
    }
}

impl std::fmt::Debug for Redelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redelivery(..)")
    }
}

/// Where each event type goes: the queues of one store.
#[derive(Debug, Clone)]
pub struct Route {
    /// `OrderCreated` (and any other type): the processing queue, as the
    /// INSERT pipe feeds it.
    pub events: Queue,
    /// `OrderStatusChanged`: the notifications topic's local stand-in, as
    /// the MODIFY pipe feeds the topic.
    pub notifications: Queue,
    /// Which `OrderCreated` events are also enqueued a second time.
    redelivery: Option<Redelivery>,
}

impl Route {
    pub fn new(events: Queue, notifications: Queue) -> Self {
        Self {
            events,
            notifications,
            redelivery: None,
        }
    }

    /// Also enqueues the `OrderCreated` events `redelivery` picks a second
    /// time ([`redelivery_id`]), so the processor handles them twice.
    pub fn with_redelivery(mut self, redelivery: Redelivery) -> Self {
        self.redelivery = Some(redelivery);
        self
    }

    /// The queue of an event type. A type this build does not know goes to
    /// the processing queue, whose consumer dead-letters what it cannot
    /// read, so nothing is dropped or jams the outbox.
    pub fn queue_for(&self, event_type: &str) -> &Queue {
        match event_type {
            "OrderStatusChanged" => &self.notifications,
            _ => &self.events,
        }
    }
}

/// Moves up to `max` outbox rows of the queues' store, oldest first, onto
/// their queues ([`Route::queue_for`]), in one transaction, and wakes both
/// queues' long polls in this process (a wake-up of a queue that got nothing
/// only makes its pollers look again). Returns how many moved (0 when the
/// outbox is empty).
pub async fn dispatch(route: &Route, max: usize) -> Result<usize, StoreError> {
    let names = route.clone();
    let moved = route
        .events
        .store()
        .dispatch_outbox(max, move |tx, rows| {
            let now = now_epoch_millis();
            for row in rows {
                let queue = names.queue_for(&row.event_type).name();
                // The message id is the event id: even a row somehow moved
                // twice could not become two messages.
                enqueue_on(tx, queue, &row.event_id, &row.body, now)?;
                // Only the processing queue's events: that is the delivery
                // the processor must make harmless twice.
                if row.event_type == ORDER_CREATED
                    && names
                        .redelivery
                        .as_ref()
                        .is_some_and(|r| r.applies_to(&row.event_id))
                {
                    let id = redelivery_id(&row.event_id);
                    if enqueue_on(tx, queue, &id, &row.body, now)? {
                        tracing::warn!(event_id = %row.event_id, message_id = %id, "injected redelivery");
                    }
                }
            }
            Ok(())
        })
        .await?;
    if moved > 0 {
        route.events.wake();
        route.notifications.wake();
        tracing::debug!(moved, "outbox dispatched");
    }
    Ok(moved)
}

/// Dispatches the outbox of the queues' store until `stopped` turns true
/// (or its sender is dropped): in batches of [`BATCH`] while there are rows,
/// then waiting for the store's outbox waker or [`POLL_INTERVAL`]. A failed
/// dispatch is logged and retried.
pub async fn run(route: Route, mut stopped: watch::Receiver<bool>) {
    // Subscribed before the first look, so a commit between a look and the
    // wait still wakes the loop.
    let mut written = route.events.store().outbox_waker();
    loop {
        if *stopped.borrow() {
            return;
        }
        match dispatch(&route, BATCH).await {
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
