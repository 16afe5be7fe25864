//! The saga's steps (`contracts/workflows/order-saga.asl.json`): charge,
//! refund, reserve, release, complete and fail. Each is idempotent per
//! order, so a retried or repeated step (Step Functions retries, Express
//! workflows' at-least-once, a local execution resumed after a crash)
//! changes nothing the first call did.
//!
//! Two executions of one order may run at once (Express does not
//! deduplicate by name, a redelivered `OrderCreated` starts another) and a
//! step may have committed its effect before its invocation failed. So the
//! order's own record decides, not an execution's memory ([`SagaFence`]):
//! compensation begins with a conditional write that only a PROCESSING
//! order takes, and completing, charging and reserving are conditional on
//! it not having begun. Once COMPLETED nothing undoes the order; once
//! compensation began it cannot complete. A step that finds the order past
//! it fails with [`SagaError::Superseded`], which the workflow turns into a
//! successful end with no side effects (docs/saga.md, "Failure model").
//!
//! A step's input is what the state machine's `Parameters.Payload` builds
//! (`{"action": "charge", "orderId": "..."}`); its output is the JSON the
//! states' `ResultSelector`s read. Errors carry the name the workflow's
//! `Retry` and `Catch` match ([`SagaError::error_name`]): `TransientError`
//! is retried, anything else goes straight to compensation.

use crate::error::StoreError;
use crate::model::{FailureReason, Order, OrderStatus};
use crate::payments::PaymentError;
use crate::ports::{CompensationStart, OrderReader, SagaFence};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// Why a step did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    #[error("order {0} was not found")]
    OrderNotFound(Uuid),
    #[error("the task input is invalid: {0}")]
    InvalidInput(String),
    #[error("order {order_id} is {status}: cannot {action}")]
    InvalidOrderState {
        order_id: Uuid,
        status: OrderStatus,
        action: &'static str,
    },
    /// The order's compensation has begun (the fence): this execution must
    /// not move it forward; its compensation path finishes the job (every
    /// compensation step is idempotent).
    #[error("order {0} is being compensated: it cannot go forward")]
    Compensating(Uuid),
    /// Another execution of this order (a duplicate start, a late retry)
    /// already decided it: this one ends without side effects.
    #[error("order {order_id} is {status}: decided already")]
    Superseded { order_id: Uuid, status: OrderStatus },
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The error names the workflow's Retry and Catch match
/// (`contracts/workflows/order-saga.asl.json`).
pub mod error_names {
    /// Worth a retry: the store or the provider was unavailable.
    pub const TRANSIENT: &str = "TransientError";
    /// The order's compensation has begun: caught into compensation.
    pub const COMPENSATING: &str = "OrderCompensating";
    /// Another execution decided the order: caught into `Superseded`, a
    /// successful end with no side effects.
    pub const SUPERSEDED: &str = "OrderSuperseded";
}

impl SagaError {
    /// The error name the workflow sees (the Lambda function's `errorType`):
    /// [`error_names::TRANSIENT`] for what is worth a retry.
    pub fn error_name(&self) -> &'static str {
        match self {
            Self::Payment(PaymentError::Transient(_))
            | Self::Payment(PaymentError::Store(StoreError::Unavailable(_)))
            | Self::Store(StoreError::Unavailable(_)) => error_names::TRANSIENT,
            Self::OrderNotFound(_) => "OrderNotFound",
            Self::InvalidInput(_) => "InvalidTaskInput",
            Self::InvalidOrderState { .. } => "InvalidOrderState",
            Self::Compensating(_) => error_names::COMPENSATING,
            Self::Superseded { .. } => error_names::SUPERSEDED,
            Self::Payment(_) => "PaymentRejected",
            Self::Store(_) => "StoreError",
        }
    }

    pub fn is_transient(&self) -> bool {
        self.error_name() == error_names::TRANSIENT
    }
}

/// The payments function's input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", deny_unknown_fields)]
pub enum PaymentTask {
    #[serde(rename_all = "camelCase")]
    Charge { order_id: Uuid },
    #[serde(rename_all = "camelCase")]
    Refund { order_id: Uuid },
}

/// The inventory function's input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", deny_unknown_fields)]
pub enum InventoryTask {
    #[serde(rename_all = "camelCase")]
    Reserve { order_id: Uuid },
    #[serde(rename_all = "camelCase")]
    Release { order_id: Uuid },
}

/// The settle-order function's input.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase", deny_unknown_fields)]
pub enum SettleTask {
    #[serde(rename_all = "camelCase")]
    Complete { order_id: Uuid },
    #[serde(rename_all = "camelCase")]
    Fail {
        order_id: Uuid,
        reason: FailureReason,
        #[serde(default)]
        decline_code: Option<String>,
        #[serde(default)]
        skus: Option<Vec<String>>,
    },
}

/// Parses a step's input (any of the three task types).
pub fn parse_task<T: serde::de::DeserializeOwned>(input: Value) -> Result<T, SagaError> {
    serde_json::from_value(input).map_err(|e| SagaError::InvalidInput(e.to_string()))
}

/// The saga's input: `{"orderId": "..."}`.
pub fn saga_input(order_id: Uuid) -> Value {
    json!({ "orderId": order_id })
}

/// The order, which a forward step (charge, reserve) may move on only
/// while it is PROCESSING with its compensation not begun.
pub(super) async fn order_going_forward<R: OrderReader + ?Sized>(
    reader: &R,
    order_id: Uuid,
) -> Result<Order, SagaError> {
    let order = reader
        .get_order(order_id)
        .await?
        .ok_or(SagaError::OrderNotFound(order_id))?;
    forward_gate(&order)?;
    Ok(order)
}

/// Why the saga may not move `order` forward, if it may not.
pub(super) fn forward_gate(order: &Order) -> Result<(), SagaError> {
    if order.accepts_saga_progress() {
        Ok(())
    } else if order.status == OrderStatus::Processing {
        Err(SagaError::Compensating(order.order_id))
    } else {
        Err(SagaError::Superseded {
            order_id: order.order_id,
            status: order.status,
        })
    }
}

/// Begins the order's compensation (the fence) before a step gives money
/// or stock back. A COMPLETED order is never compensated: the step is
/// superseded. A FAILED order was compensated by another execution; the
/// step goes on and finds nothing left to give back.
pub(super) async fn begin_compensation<F: SagaFence + ?Sized>(
    fence: &F,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Order, SagaError> {
    match fence.begin_compensation(order_id, now).await? {
        CompensationStart::Begun(order) => Ok(order),
        CompensationStart::NotProcessing(order) if order.status == OrderStatus::Failed => Ok(order),
        CompensationStart::NotProcessing(order) => Err(SagaError::Superseded {
            order_id,
            status: order.status,
        }),
        CompensationStart::NotFound => Err(SagaError::OrderNotFound(order_id)),
    }
}

mod payment;
mod settle;
mod stock;

pub use payment::{charge, refund, run_payment_task, PaymentDeps};
pub use settle::run_settle_task;
pub use stock::run_inventory_task;

#[cfg(test)]
mod tests {
    use super::error_names;
    use serde_json::Value;

    const ASL: &str = include_str!("../../../../../contracts/workflows/order-saga.asl.json");

    fn tasks() -> Vec<(String, Value)> {
        let asl: Value = serde_json::from_str(ASL).unwrap();
        asl["States"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, s)| s["Type"] == "Task")
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect()
    }

    /// The names the functions raise are the names the workflow matches: a
    /// superseded step ends the execution as a success before any other
    /// Catch can compensate, and transient errors are retried, never
    /// caught first.
    #[test]
    fn the_workflow_matches_the_error_names_the_steps_raise() {
        let tasks = tasks();
        assert!(tasks.len() >= 9);
        for (name, task) in tasks {
            let catch = task["Catch"].as_array().unwrap();
            assert_eq!(
                catch[0]["ErrorEquals"],
                serde_json::json!([error_names::SUPERSEDED]),
                "{name}"
            );
            assert_eq!(catch[0]["Next"], "Superseded", "{name}");
            let retried: Vec<&str> = task["Retry"][0]["ErrorEquals"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            for must in [
                error_names::TRANSIENT,
                "Sandbox.Timedout",
                "Lambda.Unknown",
                "Lambda.ClientExecutionTimeoutException",
            ] {
                assert!(retried.contains(&must), "{name} does not retry {must}");
            }
            for never in [error_names::SUPERSEDED, error_names::COMPENSATING] {
                assert!(!retried.contains(&never), "{name} retries {never}");
            }
        }
    }
}
