//! `POST /orders/{orderId}/cancel`: PENDING to CANCELLED. The CANCELLED
//! event comes from the write (stream or outbox), as for every status
//! change, so the notification cannot be lost between the move and a
//! publish.

use crate::error::OrdersError;
use crate::model::{parse_order_id, Order, OrderStatus};
use crate::ports::{OrderStatusUpdater, StatusChange, TransitionOutcome};
use chrono::{DateTime, Utc};

/// `POST /orders/{orderId}/cancel`: PENDING to CANCELLED. 404 for an
/// unknown order, 409 for any other status.
pub async fn cancel_order<U>(
    updater: &U,
    raw_id: &str,
    now: DateTime<Utc>,
) -> Result<Order, OrdersError>
where
    U: OrderStatusUpdater + ?Sized,
{
    let order_id = parse_order_id(raw_id)?;
    let change = StatusChange {
        order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Cancelled,
        reason: None,
        detail: None,
        at: now,
    };
    match updater.transition(&change).await? {
        TransitionOutcome::Moved(order) => {
            tracing::info!(order_id = %order_id, "order cancelled");
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
