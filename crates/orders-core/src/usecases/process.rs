//! The processor's step: an `OrderCreated` moves its order PENDING to
//! PROCESSING once, and the move is published.

use super::publish_change;
use crate::error::OrdersError;
use crate::events::OrderCreated;
use crate::metrics;
use crate::model::OrderStatus;
use crate::ports::{EventPublisher, OrderStatusUpdater, StatusChange, TransitionOutcome};
use chrono::{DateTime, Utc};

/// What processing one `OrderCreated` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutcome {
    /// PENDING to PROCESSING, now; the event was published.
    Moved { lag_ms: i64 },
    /// Already moved by an earlier delivery; the event was published again
    /// in case that delivery died before publishing (the copy has the same
    /// event id, and the notifier sends nothing twice).
    Republished,
    /// The order has moved on past PROCESSING; nothing to do.
    AlreadyDone(OrderStatus),
    /// The order was cancelled before processing: skipped.
    SkippedCancelled,
}

/// The processor's step: PENDING to PROCESSING once, then publish.
///
/// Errors are for the caller to retry (the message stays on the queue and
/// reaches the dead-letter queue after its receives run out).
pub async fn process_order_created<U, P>(
    updater: &U,
    publisher: &P,
    event: &OrderCreated,
    now: DateTime<Utc>,
) -> Result<ProcessOutcome, OrdersError>
where
    U: OrderStatusUpdater + ?Sized,
    P: EventPublisher + ?Sized,
{
    let change = StatusChange {
        order_id: event.order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        at: now,
    };
    match updater.transition(&change).await? {
        TransitionOutcome::Moved(order) => {
            publish_change(publisher, &order, OrderStatus::Pending).await?;
            let lag_ms = (now - order.created_at).num_milliseconds();
            metrics::processing_lag(&order.order_id.to_string(), lag_ms);
            tracing::info!(order_id = %order.order_id, lag_ms, "order moved to PROCESSING");
            Ok(ProcessOutcome::Moved { lag_ms })
        }
        TransitionOutcome::Unchanged(order) => match order.status {
            OrderStatus::Processing => {
                publish_change(publisher, &order, OrderStatus::Pending).await?;
                tracing::info!(order_id = %order.order_id, "replayed OrderCreated: already PROCESSING, event republished");
                Ok(ProcessOutcome::Republished)
            }
            OrderStatus::Cancelled => {
                tracing::info!(order_id = %order.order_id, "order was cancelled before processing: skipped");
                Ok(ProcessOutcome::SkippedCancelled)
            }
            other => {
                tracing::info!(order_id = %order.order_id, status = %other, "replayed OrderCreated: order already past PROCESSING");
                Ok(ProcessOutcome::AlreadyDone(other))
            }
        },
        TransitionOutcome::NotFound => Err(OrdersError::NotFound(event.order_id.to_string())),
    }
}
