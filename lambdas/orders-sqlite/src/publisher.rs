//! The local notifications topic: [`QueuePublisher`] sends each status
//! change to an embedded queue, which the local host's notifier loop consumes
//! as the notifier function consumes its SNS subscription.
//!
//! The queue carries no message attributes; the body is the event document,
//! whose `eventType` and `status` are what SNS puts in the `eventType` and
//! `status` attributes for filter policies.

use crate::queue::Queue;
use orders_core::error::DeliveryError;
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::ports::EventPublisher;

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

    /// The queue events go to.
    pub fn queue(&self) -> &Queue {
        &self.queue
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
