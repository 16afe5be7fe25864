//! `POST /orders/{orderId}/cancel`: PENDING to CANCELLED, then the
//! notification (the same path as every status change).

use super::publish_change;
use crate::error::OrdersError;
use crate::model::{parse_order_id, Order, OrderStatus};
use crate::ports::{EventPublisher, OrderStatusUpdater, StatusChange, TransitionOutcome};
use chrono::{DateTime, Utc};

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
