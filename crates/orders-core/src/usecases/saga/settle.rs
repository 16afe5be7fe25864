//! The settle steps: PROCESSING to COMPLETED or FAILED.

use super::{SagaError, SettleTask};
use crate::model::FailureReason;
use crate::model::OrderStatus;
use crate::ports::{OrderStatusUpdater, StatusChange, TransitionOutcome};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Settle: PROCESSING to COMPLETED or to FAILED with a reason, through the
/// same conditional transition as every status change. Repeating a step
/// that already happened is a success. An order whose compensation began
/// cannot complete ([`SagaError::Compensating`]: the execution compensates
/// too); an order another execution settled otherwise supersedes this one.
pub async fn run_settle_task<U>(
    updater: &U,
    task: SettleTask,
    now: DateTime<Utc>,
) -> Result<Value, SagaError>
where
    U: OrderStatusUpdater + ?Sized,
{
    let (order_id, to, reason, detail, action) = match task {
        SettleTask::Complete { order_id } => {
            (order_id, OrderStatus::Completed, None, None, "complete")
        }
        SettleTask::Fail {
            order_id,
            reason,
            decline_code,
            skus,
        } => {
            let detail = match reason {
                FailureReason::PaymentDeclined => Some(format!(
                    "payment declined: {}",
                    decline_code.as_deref().unwrap_or("declined")
                )),
                FailureReason::OutOfStock => Some(format!(
                    "out of stock: {}",
                    skus.unwrap_or_default().join(", ")
                )),
                FailureReason::ProcessingError => Some(
                    "the payment or inventory service kept failing; anything charged was refunded"
                        .to_string(),
                ),
            };
            (
                order_id,
                OrderStatus::Failed,
                Some(reason.as_str().to_string()),
                detail,
                "fail",
            )
        }
    };
    let change = StatusChange {
        order_id,
        from: OrderStatus::Processing,
        to,
        reason,
        detail,
        at: now,
    };
    let order = match updater.transition(&change).await? {
        TransitionOutcome::Moved(order) => {
            tracing::info!(order_id = %order_id, status = %order.status, reason = order.status_reason.as_deref().unwrap_or(""), "order settled");
            order
        }
        TransitionOutcome::Unchanged(order)
            if order.status == to && order.status_reason == change.reason =>
        {
            order
        }
        TransitionOutcome::Unchanged(order) if order.status == OrderStatus::Processing => {
            return Err(SagaError::Compensating(order_id))
        }
        TransitionOutcome::Unchanged(order) if order.status.is_final() => {
            tracing::info!(order_id = %order_id, status = %order.status, action, "order settled by another execution");
            return Err(SagaError::Superseded {
                order_id,
                status: order.status,
            });
        }
        TransitionOutcome::Unchanged(order) => {
            return Err(SagaError::InvalidOrderState {
                order_id,
                status: order.status,
                action,
            })
        }
        TransitionOutcome::NotFound => return Err(SagaError::OrderNotFound(order_id)),
    };
    Ok(json!({ "status": order.status, "reason": order.status_reason }))
}
