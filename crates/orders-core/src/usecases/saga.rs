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
use crate::inventory::{reservation_lines, Inventory, ReservationStatus, ReserveOutcome};
use crate::model::{Order, OrderStatus};
use crate::payments::{
    payment_id, refund_id, to_minor_units, ChargeRequest, Payment, PaymentError, PaymentGateway,
    PaymentLedger, PaymentStatus, PaymentToken, ProviderCharge, Refund, RefundRequest,
};
use crate::ports::{OrderReader, OrderStatusUpdater, StatusChange, TransitionOutcome};
use chrono::{DateTime, Utc};
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
async fn processing_order<R: OrderReader + ?Sized>(
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

/// Payments: `charge` or `refund`.
pub async fn run_payment_task<R, L, G>(
    reader: &R,
    ledger: &L,
    gateway: &G,
    task: PaymentTask,
    now: DateTime<Utc>,
) -> Result<Value, SagaError>
where
    R: OrderReader + ?Sized,
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    match task {
        PaymentTask::Charge { order_id } => {
            let payment = charge(reader, ledger, gateway, order_id, now).await?;
            Ok(json!({
                "status": if payment.status == PaymentStatus::Declined { "DECLINED" } else { "APPROVED" },
                "paymentId": payment.payment_id,
                "declineCode": payment.decline_code.map(|c| c.as_str()),
            }))
        }
        PaymentTask::Refund { order_id } => {
            let refunded = refund(ledger, gateway, order_id, now).await?;
            Ok(json!({ "status": if refunded.is_some() { "REFUNDED" } else { "NOT_CHARGED" } }))
        }
    }
}

/// Charges the order's exact total once: a payment on record is the answer
/// (approved or declined) and the provider is not asked again.
pub async fn charge<R, L, G>(
    reader: &R,
    ledger: &L,
    gateway: &G,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Payment, SagaError>
where
    R: OrderReader + ?Sized,
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    if let Some(existing) = ledger.get_payment(order_id).await? {
        return Ok(existing);
    }
    let order = processing_order(reader, order_id, "charge").await?;
    let token = PaymentToken::of(order.payment_token.as_deref())
        .map_err(|e| SagaError::Payment(PaymentError::Rejected(e.to_string())))?;
    let amount_minor = to_minor_units(order.total, &order.currency).ok_or_else(|| {
        PaymentError::Rejected(format!(
            "{} {} has more decimal places than the currency",
            order.total, order.currency
        ))
    })?;
    let request = ChargeRequest {
        idempotency_key: order_id.to_string(),
        amount_minor,
        currency: order.currency.clone(),
        token,
    };
    let answer = gateway.charge(&request).await?;
    let (status, provider_ref, decline_code) = match answer {
        ProviderCharge::Approved { provider_ref } => {
            (PaymentStatus::Charged, Some(provider_ref), None)
        }
        ProviderCharge::Declined { code } => (PaymentStatus::Declined, None, Some(code)),
    };
    let payment = Payment {
        payment_id: payment_id(order_id),
        order_id,
        amount: order.total,
        currency: order.currency,
        status,
        provider_ref,
        decline_code,
        refund: None,
        created_at: now,
    };
    let stored = ledger.record_charge(&payment).await?;
    tracing::info!(order_id = %order_id, payment_id = %stored.payment_id, status = stored.status.as_str(), "payment recorded");
    Ok(stored)
}

/// Refunds the order's charge once. `None`: nothing was charged (no
/// payment, or a declined one), so there is nothing to give back.
pub async fn refund<L, G>(
    ledger: &L,
    gateway: &G,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Payment>, SagaError>
where
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    let Some(payment) = ledger.get_payment(order_id).await? else {
        return Ok(None);
    };
    match payment.status {
        PaymentStatus::Declined => return Ok(None),
        PaymentStatus::Refunded => return Ok(Some(payment)),
        PaymentStatus::Charged => {}
    }
    let charge_ref = payment.provider_ref.clone().ok_or_else(|| {
        StoreError::Corrupt(format!(
            "payment {} has no provider reference",
            payment.payment_id
        ))
    })?;
    let amount_minor = to_minor_units(payment.amount, &payment.currency)
        .ok_or_else(|| StoreError::Corrupt(format!("payment {} amount", payment.payment_id)))?;
    let provider_ref = gateway
        .refund(&RefundRequest {
            idempotency_key: format!("refund#{order_id}"),
            charge_ref,
            amount_minor,
            currency: payment.currency.clone(),
        })
        .await?;
    let refund = Refund {
        refund_id: refund_id(order_id),
        provider_ref,
        amount: payment.amount,
        refunded_at: now,
    };
    let stored = ledger
        .record_refund(order_id, &refund)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("payment of {order_id} vanished")))?;
    tracing::info!(order_id = %order_id, payment_id = %stored.payment_id, "payment refunded");
    Ok(Some(stored))
}

/// Inventory: `reserve` or `release`.
pub async fn run_inventory_task<R, I>(
    reader: &R,
    inventory: &I,
    task: InventoryTask,
    now: DateTime<Utc>,
) -> Result<Value, SagaError>
where
    R: OrderReader + ?Sized,
    I: Inventory + ?Sized,
{
    match task {
        InventoryTask::Reserve { order_id } => {
            let outcome = match inventory.get_reservation(order_id).await? {
                Some(existing) if existing.status == ReservationStatus::Released => {
                    return Err(SagaError::AlreadyCompensated(order_id))
                }
                Some(existing) => ReserveOutcome::Reserved(existing),
                None => {
                    let order = processing_order(reader, order_id, "reserve stock").await?;
                    inventory
                        .reserve(order_id, &reservation_lines(&order.items), now)
                        .await?
                }
            };
            Ok(match outcome {
                ReserveOutcome::Reserved(_) => {
                    tracing::info!(order_id = %order_id, "stock reserved");
                    json!({ "status": "RESERVED", "unavailableSkus": [] })
                }
                ReserveOutcome::OutOfStock { skus } => {
                    tracing::info!(order_id = %order_id, skus = %skus.join(","), "out of stock");
                    json!({ "status": "OUT_OF_STOCK", "unavailableSkus": skus })
                }
            })
        }
        InventoryTask::Release { order_id } => {
            let released = inventory.release(order_id, now).await?;
            let status = match released {
                Some(r) if r.status == ReservationStatus::Released => "RELEASED",
                Some(_) => {
                    return Err(StoreError::Corrupt(format!(
                        "reservation of {order_id} is still held after its release"
                    ))
                    .into())
                }
                None => "NOT_RESERVED",
            };
            tracing::info!(order_id = %order_id, status, "stock released");
            Ok(json!({ "status": status }))
        }
    }
}

/// Settle: PROCESSING to COMPLETED or to FAILED with a reason, through the
/// same conditional transition as every status change. Repeating a step
/// that already happened is a success; any other status is an error.
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
        TransitionOutcome::Unchanged(order) if order.status == to => order,
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
