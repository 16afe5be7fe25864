//! The processor's step: an `OrderCreated` moves its order PENDING to
//! PROCESSING once and starts the order's saga.
//!
//! The move's `OrderStatusChanged` event is not published here: it comes
//! from the write itself (the table's stream on AWS, an outbox row in the
//! transition's transaction locally), like every status change.

use crate::error::OrdersError;
use crate::events::OrderCreated;
use crate::metrics;
use crate::model::OrderStatus;
use crate::ports::{
    OrderStatusUpdater, StartOutcome, StatusChange, TransitionOutcome, WorkflowStarter,
};
use chrono::{DateTime, Utc};

/// What processing one `OrderCreated` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessOutcome {
    /// PENDING to PROCESSING, now; the saga was started.
    Moved { lag_ms: i64 },
    /// Already PROCESSING (a redelivery): the saga start was repeated, in
    /// case the earlier delivery died between the move and the start
    /// (`AlreadyStarted` when it had not).
    Resumed(StartOutcome),
    /// The order has moved on past PROCESSING; nothing to do.
    AlreadyDone(OrderStatus),
    /// The order was cancelled before processing: skipped.
    SkippedCancelled,
}

/// The processor's step: PENDING to PROCESSING once, then start the saga
/// (execution name = order id, so a repeated start is harmless).
///
/// Errors are for the caller to retry (the message stays on the queue and
/// reaches the dead-letter queue after its receives run out).
pub async fn process_order_created<U, W>(
    updater: &U,
    starter: &W,
    event: &OrderCreated,
    now: DateTime<Utc>,
) -> Result<ProcessOutcome, OrdersError>
where
    U: OrderStatusUpdater + ?Sized,
    W: WorkflowStarter + ?Sized,
{
    let change = StatusChange {
        order_id: event.order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        detail: None,
        at: now,
    };
    match updater.transition(&change).await? {
        TransitionOutcome::Moved(order) => {
            starter.start_saga(order.order_id).await?;
            let lag_ms = (now - order.created_at).num_milliseconds();
            metrics::processing_lag(&order.order_id.to_string(), lag_ms);
            tracing::info!(order_id = %order.order_id, lag_ms, "order moved to PROCESSING, saga started");
            Ok(ProcessOutcome::Moved { lag_ms })
        }
        TransitionOutcome::Unchanged(order) => match order.status {
            OrderStatus::Processing => {
                let started = starter.start_saga(order.order_id).await?;
                tracing::info!(order_id = %order.order_id, ?started, "replayed OrderCreated: already PROCESSING, saga start repeated");
                Ok(ProcessOutcome::Resumed(started))
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
