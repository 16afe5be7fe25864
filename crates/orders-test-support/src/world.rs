//! The handler tests' world: what the functions are given on AWS, stood in
//! for by the embedded store.

use crate::orders::base_time;
use chrono::{DateTime, Duration, Utc};
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_core::usecases::{create_order, CreateResponse};
use orders_core::OrderReader;
use orders_local_aws::notifier::{list_sent_notifications, RecordingNotifier, SentNotification};
use orders_local_aws::publisher::QueuePublisher;
use orders_sqlite::SqliteStore;
use std::sync::atomic::{AtomicI64, Ordering};
use uuid::Uuid;

/// An in-memory store (orders, outbox, ledger), a queue standing in for the
/// notifications topic, a notifier that records what it sends, and a clock
/// that starts at [`base_time`] and moves a millisecond per order.
pub struct World {
    pub store: SqliteStore,
    pub publisher: QueuePublisher,
    pub notifier: RecordingNotifier,
    ticks: AtomicI64,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> Self {
        let store = SqliteStore::in_memory().expect("an in-memory store");
        Self {
            publisher: QueuePublisher::on(&store, "notifications").expect("a queue"),
            notifier: RecordingNotifier::new(store.clone()),
            store,
            ticks: AtomicI64::new(0),
        }
    }

    /// The next instant of the world's clock: [`base_time`], then a
    /// millisecond later on every call.
    pub fn now(&self) -> DateTime<Utc> {
        base_time() + Duration::milliseconds(self.ticks.fetch_add(1, Ordering::Relaxed))
    }

    /// Creates an order from a request body through the use case, at
    /// [`now`](Self::now).
    pub async fn create(&self, body: &str) -> CreateResponse {
        create_order(&self.store, body.as_bytes(), None, self.now())
            .await
            .unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// The order's `OrderCreated`, as its outbox row holds it.
    pub async fn created_event(&self, id: Uuid) -> String {
        let outbox = self.store.outbox_pending(10_000).await.expect("the outbox");
        outbox
            .into_iter()
            .find(|e| e.order_id == id.to_string())
            .expect("the order's event is in the outbox")
            .body
    }

    pub async fn status(&self, id: Uuid) -> OrderStatus {
        self.store
            .get_order(id)
            .await
            .expect("a read")
            .expect("the order")
            .status
    }

    /// Every event published so far (drains the queue).
    pub async fn published(&self) -> Vec<OrderEvent> {
        self.publisher.take_published().await.expect("the queue")
    }

    /// Every status change published so far (drains the queue); anything
    /// else published fails the test.
    pub async fn published_changes(&self) -> Vec<OrderStatusChanged> {
        self.published()
            .await
            .into_iter()
            .map(|e| match e {
                OrderEvent::OrderStatusChanged(e) => e,
                other => panic!("published a {}", other.event_type()),
            })
            .collect()
    }

    /// What the notifier sent about the order.
    pub async fn sent(&self, id: Uuid) -> Vec<SentNotification> {
        list_sent_notifications(&self.store, Some(id), 100)
            .await
            .expect("the sent notifications")
    }
}
