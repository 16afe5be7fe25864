//! The local notifications topic: [`QueuePublisher`] sends each status
//! change to an embedded queue, which the local host's notifier loop consumes
//! as the notifier function consumes its SNS subscription.
//!
//! The queue carries no message attributes; the body is the event document,
//! whose `eventType` and `status` are what SNS puts in the `eventType` and
//! `status` attributes for filter policies.

use crate::queue::{Queue, QueueConfig, MAX_BATCH};
use orders_core::error::{DeliveryError, StoreError};
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::ports::EventPublisher;
use orders_sqlite::SqliteStore;
use std::time::Duration;

/// [`EventPublisher`] onto an embedded queue. At least once, as SNS: a
/// republished event is a second message with the same event id.
#[derive(Debug, Clone)]
pub struct QueuePublisher {
    queue: Queue,
}

impl QueuePublisher {
    pub fn new(queue: Queue) -> Self {
        Self { queue }
    }

    /// A publisher onto the queue `name` of `store` (default queue settings).
    pub fn on(store: &SqliteStore, name: &str) -> Result<Self, StoreError> {
        Ok(Self::new(Queue::new(
            store.clone(),
            QueueConfig::new(name),
        )?))
    }

    /// The queue events go to.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Receives and deletes every message waiting on the queue, oldest
    /// first, as the events they carry: what a subscriber would have got.
    /// For tests and inspection; the local host's notifier consumes the
    /// queue itself.
    pub async fn take_published(&self) -> Result<Vec<OrderEvent>, StoreError> {
        let mut out = Vec::new();
        loop {
            let batch = self
                .queue
                .receive(MAX_BATCH, Duration::ZERO, Duration::from_secs(60))
                .await?;
            if batch.is_empty() {
                return Ok(out);
            }
            let receipts: Vec<&str> = batch.iter().map(|m| m.receipt_handle.as_str()).collect();
            self.queue.delete_batch(&receipts).await?;
            for m in &batch {
                let event = OrderEvent::from_json(&m.body).map_err(|e| {
                    StoreError::Corrupt(format!("message {}: {}", m.message_id, e.join("; ")))
                })?;
                out.push(event);
            }
        }
    }
}

#[async_trait::async_trait]
impl EventPublisher for QueuePublisher {
    async fn publish(&self, event: &OrderStatusChanged) -> Result<(), DeliveryError> {
        let body = OrderEvent::from(event.clone()).to_json();
        // Any store failure is worth a retry by the caller.
        let message_id = self
            .queue
            .send(body)
            .await
            .map_err(|e| DeliveryError::Unavailable(format!("notifications queue: {e}")))?;
        tracing::debug!(order_id = %event.order_id, status = %event.status,
            event_id = %event.event_id, message_id, queue = self.queue.name(), "status change published");
        Ok(())
    }
}
