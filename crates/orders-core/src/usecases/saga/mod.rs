//! The saga's steps (`contracts/workflows/order-saga.asl.json`): charge,
//! refund, reserve, release, complete and fail. Each is idempotent per
//! order, so a retried or repeated step (Step Functions retries, Express
//! workflows' at-least-once, a local execution resumed after a crash)
//! changes nothing the first call did.
//!
//! A step's input is what the state machine's `Parameters.Payload` builds
//! (`{"action": "charge", "orderId": "..."}`); its output is the JSON the
//! states' `ResultSelector`s read. Errors carry the name the workflow's
//! `Retry` and `Catch` match ([`SagaError::error_name`]): `TransientError`
//! is retried, anything else goes straight to compensation.

use crate::error::StoreError;
use crate::model::{Order, OrderStatus};
use crate::payments::PaymentError;
use crate::ports::OrderReader;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Why an order FAILED: the order's `statusReason` and the event's `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureReason {
    PaymentDeclined,
    OutOfStock,
    ProcessingError,
}

impl FailureReason {
    pub const ALL: [FailureReason; 3] = [
        Self::PaymentDeclined,
        Self::OutOfStock,
        Self::ProcessingError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentDeclined => "PAYMENT_DECLINED",
            Self::OutOfStock => "OUT_OF_STOCK",
            Self::ProcessingError => "PROCESSING_ERROR",
        }
    }

    /// The reason in words, as the customer reads it.
    pub fn words(self) -> &'static str {
        match self {
            Self::PaymentDeclined => "your payment was declined",
            Self::OutOfStock => "some items are out of stock",
            Self::ProcessingError => "a technical problem stopped us from processing it",
        }
    }

    /// The words for a stored reason code; the code itself if unknown.
    pub fn words_for(code: &str) -> &str {
        match code.parse::<Self>() {
            Ok(reason) => reason.words(),
            Err(()) => code,
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

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
    #[error("order {0} was compensated already: its stock was released")]
    AlreadyCompensated(Uuid),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SagaError {
    /// The error name the workflow sees (the Lambda function's `errorType`):
    /// `TransientError` for what is worth a retry.
    pub fn error_name(&self) -> &'static str {
        match self {
            Self::Payment(PaymentError::Transient(_))
            | Self::Payment(PaymentError::Store(StoreError::Unavailable(_)))
            | Self::Store(StoreError::Unavailable(_)) => "TransientError",
            Self::OrderNotFound(_) => "OrderNotFound",
            Self::InvalidInput(_) => "InvalidTaskInput",
            Self::InvalidOrderState { .. } => "InvalidOrderState",
            Self::AlreadyCompensated(_) => "AlreadyCompensated",
            Self::Payment(_) => "PaymentRejected",
            Self::Store(_) => "StoreError",
        }
    }

    pub fn is_transient(&self) -> bool {
        self.error_name() == "TransientError"
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

/// The order, which must be PROCESSING for a step that moves money or stock
/// for the first time.
pub(super) async fn processing_order<R: OrderReader + ?Sized>(
    reader: &R,
    order_id: Uuid,
    action: &'static str,
) -> Result<Order, SagaError> {
    let order = reader
        .get_order(order_id)
        .await?
        .ok_or(SagaError::OrderNotFound(order_id))?;
    if order.status != OrderStatus::Processing {
        return Err(SagaError::InvalidOrderState {
            order_id,
            status: order.status,
            action,
        });
    }
    Ok(order)
}

mod payment;
mod settle;
mod stock;

pub use payment::{charge, refund, run_payment_task};
pub use settle::run_settle_task;
pub use stock::run_inventory_task;
