//! The asynchronous use cases: what the processor does with an
//! `OrderCreated`, what the notifier does with an `OrderStatusChanged`, and
//! cancellation (which starts the same notification path).
//!
//! # Exactly once, built from at-least-once parts
//!
//! Queues and topics deliver at least once, and a function can die between
//! any two calls. So:
//! - the status move is a conditional write ([`OrderStatusUpdater`]): of all
//!   deliveries of one event exactly one moves the order;
//! - the status-changed event is published after the move, and published
//!   again by a redelivery that finds the order already in the target status
//!   (the move happened but the publish may not have). Its id is derived
//!   from (order, status), so the copies are the same event;
//! - the notifier claims (order, status) in its ledger before sending and
//!   marks it sent after, so copies of the event send nothing twice.

use crate::error::OrdersError;
use crate::events::{OrderCreated, OrderStatusChanged};
use crate::metrics;
use crate::model::{Order, OrderStatus};
use crate::notifications;
use crate::ports::{
    Channel, Claim, EventPublisher, NotificationLedger, Notifier, OrderReader, OrderStatusUpdater,
    StatusChange, TransitionOutcome,
};
use crate::service::parse_order_id;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

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

/// Publishes the event of `order`'s move from `previous` to its status.
async fn publish_change<P: EventPublisher + ?Sized>(
    publisher: &P,
    order: &Order,
    previous: OrderStatus,
) -> Result<(), OrdersError> {
    let event = OrderStatusChanged::new(
        order.order_id,
        previous,
        order.status,
        order.status_reason.clone(),
        order.updated_at,
    )
    .expect("only allowed moves are published");
    publisher.publish(&event).await?;
    Ok(())
}

/// `POST /orders/{orderId}/cancel`: PENDING to CANCELLED, then the
/// notification. 404 for an unknown order, 409 for any other status.
pub async fn cancel_order<U, P>(
    updater: &U,
    publisher: &P,
    raw_id: &str,
    now: DateTime<Utc>,
) -> Result<Order, OrdersError>
where
    U: OrderStatusUpdater + ?Sized,
    P: EventPublisher + ?Sized,
{
    let order_id = parse_order_id(raw_id)?;
    let change = StatusChange {
        order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Cancelled,
        reason: None,
        at: now,
    };
    match updater.transition(&change).await? {
        TransitionOutcome::Moved(order) => {
            tracing::info!(order_id = %order_id, "order cancelled");
            // The cancellation stands whatever happens to its notification:
            // the publisher retries, and a failure is logged for operators.
            if let Err(e) = publish_change(publisher, &order, OrderStatus::Pending).await {
                tracing::error!(order_id = %order_id, error = %e, "cancelled, but the status event could not be published");
            }
            Ok(order)
        }
        TransitionOutcome::Unchanged(order) => Err(OrdersError::InvalidTransition {
            order_id: order_id.to_string(),
            status: order.status,
            action: "cancelled",
        }),
        TransitionOutcome::NotFound => Err(OrdersError::NotFound(order_id.to_string())),
    }
}

/// How long a notifier's claim on (order, status) lasts: a sender that died
/// holding one is replaced after this.
pub const NOTIFICATION_LEASE: Duration = Duration::from_secs(30);

/// What handling one `OrderStatusChanged` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyOutcome {
    Sent(Vec<Channel>),
    /// Already sent for this (order, status): nothing sent.
    Duplicate,
    /// A status the customer does not hear about.
    NotNotified,
}

/// Why a notification was not sent; every variant is worth a retry except
/// [`NotifyError::OrderNotFound`], which the dead-letter queue keeps.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("order {0} was not found")]
    OrderNotFound(Uuid),
    #[error("another delivery of this event is sending it")]
    InFlight,
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    #[error(transparent)]
    Delivery(#[from] crate::DeliveryError),
}

/// The notifier's step: render the customer's messages for the new status
/// and send them once per (order, status).
pub async fn notify_status_changed<R, L, N>(
    reader: &R,
    ledger: &L,
    notifier: &N,
    event: &OrderStatusChanged,
    now: DateTime<Utc>,
) -> Result<NotifyOutcome, NotifyError>
where
    R: OrderReader + ?Sized,
    L: NotificationLedger + ?Sized,
    N: Notifier + ?Sized,
{
    if !notifications::is_notified(event.status) {
        return Ok(NotifyOutcome::NotNotified);
    }
    let mut order = reader
        .get_order(event.order_id)
        .await?
        .ok_or(NotifyError::OrderNotFound(event.order_id))?;
    // Tell the customer about the status of the event, even if the order has
    // moved on since; the reason is the event's.
    order.status_reason = event.reason.clone();
    match ledger
        .claim(event.order_id, event.status, now, NOTIFICATION_LEASE)
        .await?
    {
        Claim::AlreadySent => {
            tracing::info!(order_id = %event.order_id, status = %event.status, "notification already sent: nothing to do");
            return Ok(NotifyOutcome::Duplicate);
        }
        Claim::InFlight => return Err(NotifyError::InFlight),
        Claim::Claimed => {}
    }
    let notification = notifications::render(&order, event.status).expect("notified status");
    let channels = notifier.send(&notification).await?;
    ledger
        .complete(event.order_id, event.status, Utc::now(), &channels)
        .await?;
    let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    metrics::notification_sent(
        &event.order_id.to_string(),
        event.status.as_str(),
        &names.join(","),
    );
    tracing::info!(order_id = %event.order_id, status = %event.status, channels = %names.join(","), "notification sent");
    Ok(NotifyOutcome::Sent(channels))
}
