//! The payment steps: charge once, refund once, behind the order's fence.
//!
//! A charge records its intent (CHARGING) before the provider is asked,
//! conditionally on the fence, so a compensation that begins at any moment
//! either finds the intent (and cancels it at the provider by its
//! idempotency key) or keeps any later charge from being recorded.

use super::{begin_compensation, forward_gate, order_going_forward, PaymentTask, SagaError};
use crate::error::StoreError;
use crate::model::Order;
use crate::payments::{
    payment_id, refund_id, to_minor_units, ChargeRequest, ChargeStart, Payment, PaymentError,
    PaymentStatus, PaymentToken, ProviderCharge, Refund, RefundRequest,
};
use crate::ports::{OrderReader, PaymentGateway, PaymentLedger, SagaFence};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// What the payment steps use.
pub struct PaymentDeps<'a, R: ?Sized, F: ?Sized, L: ?Sized, G: ?Sized> {
    pub orders: &'a R,
    pub fence: &'a F,
    pub ledger: &'a L,
    pub gateway: &'a G,
}

/// Payments: `charge` or `refund`.
pub async fn run_payment_task<R, F, L, G>(
    deps: &PaymentDeps<'_, R, F, L, G>,
    task: PaymentTask,
    now: DateTime<Utc>,
) -> Result<Value, SagaError>
where
    R: OrderReader + ?Sized,
    F: SagaFence + ?Sized,
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    match task {
        PaymentTask::Charge { order_id } => {
            let payment = charge(deps.orders, deps.ledger, deps.gateway, order_id, now).await?;
            Ok(json!({
                "status": if payment.status == PaymentStatus::Declined { "DECLINED" } else { "APPROVED" },
                "paymentId": payment.payment_id,
                "declineCode": payment.decline_code.map(|c| c.as_str()),
            }))
        }
        PaymentTask::Refund { order_id } => {
            let refunded = refund(deps.fence, deps.ledger, deps.gateway, order_id, now).await?;
            Ok(json!({ "status": if refunded.is_some() { "REFUNDED" } else { "NOT_CHARGED" } }))
        }
    }
}

/// The provider request of an order's charge; the order id is its
/// idempotency key, so every ask for one order is the same charge.
fn charge_request(order: &Order) -> Result<ChargeRequest, SagaError> {
    let token = PaymentToken::of(order.payment_token.as_deref())
        .map_err(|e| SagaError::Payment(PaymentError::Rejected(e.to_string())))?;
    let amount_minor = to_minor_units(order.total, &order.currency).ok_or_else(|| {
        PaymentError::Rejected(format!(
            "{} {} has more decimal places than the currency",
            order.total, order.currency
        ))
    })?;
    Ok(ChargeRequest {
        idempotency_key: order.order_id.to_string(),
        amount_minor,
        currency: order.currency.clone(),
        token,
    })
}

/// Charges the order's exact total once. A payment on record is the
/// answer; an intent on record (an earlier attempt died, or a duplicate
/// execution is charging) is asked of the provider again with the same
/// key, which charges nothing new. Fails with
/// [`SagaError::Compensating`] or [`SagaError::Superseded`] when the fence
/// says the order may not be charged.
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
    let order = order_going_forward(reader, order_id).await?;
    let payment = match ledger.get_payment(order_id).await? {
        Some(existing) => existing,
        None => {
            let intent = Payment {
                payment_id: payment_id(order_id),
                order_id,
                amount: order.total,
                currency: order.currency.clone(),
                status: PaymentStatus::Charging,
                provider_ref: None,
                decline_code: None,
                refund: None,
                created_at: now,
            };
            match ledger.begin_charge(&intent).await? {
                ChargeStart::Begun(p) | ChargeStart::Exists(p) => p,
                ChargeStart::Fenced => return Err(fenced(reader, order_id).await),
            }
        }
    };
    let payment = match payment.status {
        PaymentStatus::Charging => {
            let request = charge_request(&order)?;
            let answer = gateway.charge(&request).await?;
            let (status, provider_ref, decline_code) = match answer {
                ProviderCharge::Approved { provider_ref } => {
                    (PaymentStatus::Charged, Some(provider_ref), None)
                }
                ProviderCharge::Declined { code } => (PaymentStatus::Declined, None, Some(code)),
            };
            let stored = ledger
                .record_charge(&Payment {
                    status,
                    provider_ref,
                    decline_code,
                    ..payment
                })
                .await?;
            tracing::info!(order_id = %order_id, payment_id = %stored.payment_id, status = stored.status.as_str(), "payment recorded");
            stored
        }
        _ => payment,
    };
    match payment.status {
        PaymentStatus::Charged | PaymentStatus::Declined => Ok(payment),
        // Given back, or cancelled at the provider: a compensation is
        // under way (its execution, or this one's Catch, finishes it).
        PaymentStatus::Refunded | PaymentStatus::Voided | PaymentStatus::Charging => {
            Err(SagaError::Compensating(order_id))
        }
    }
}

/// The fence's reason, read from the order as it is now.
async fn fenced<R: OrderReader + ?Sized>(reader: &R, order_id: Uuid) -> SagaError {
    match reader.get_order(order_id).await {
        Ok(Some(order)) => forward_gate(&order)
            .err()
            .unwrap_or(SagaError::Compensating(order_id)),
        Ok(None) => SagaError::OrderNotFound(order_id),
        Err(e) => e.into(),
    }
}

/// Gives back what the order was charged, once, after beginning its
/// compensation (a COMPLETED order is never refunded: superseded).
/// `None`: nothing was charged (no payment, a declined one, or an intent
/// the provider cancelled before it charged anything).
pub async fn refund<F, L, G>(
    fence: &F,
    ledger: &L,
    gateway: &G,
    order_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Payment>, SagaError>
where
    F: SagaFence + ?Sized,
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    let order = begin_compensation(fence, order_id, now).await?;
    let Some(payment) = ledger.get_payment(order_id).await? else {
        return Ok(None);
    };
    let payment = match payment.status {
        PaymentStatus::Charging => void_intent(ledger, gateway, &order, payment, now).await?,
        _ => payment,
    };
    match payment.status {
        PaymentStatus::Declined => Ok(None),
        PaymentStatus::Refunded => Ok(Some(payment)),
        PaymentStatus::Voided if payment.refund.is_some() => Ok(Some(payment)),
        PaymentStatus::Voided => Ok(None),
        PaymentStatus::Charged => refund_charge(ledger, gateway, payment, now).await.map(Some),
        PaymentStatus::Charging => Err(StoreError::Corrupt(format!(
            "payment of {order_id} is still CHARGING after its cancellation"
        ))
        .into()),
    }
}

/// Cancels a charge intent at the provider (by its idempotency key: a
/// charge it made is refunded, a later one refused) and records the
/// outcome. Another call may have recorded an answer first: that one is
/// returned, and the caller deals with it.
async fn void_intent<L, G>(
    ledger: &L,
    gateway: &G,
    order: &Order,
    intent: Payment,
    now: DateTime<Utc>,
) -> Result<Payment, SagaError>
where
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    let request = charge_request(order)?;
    let voided = gateway.void(&request).await?;
    let refund = voided.refund_ref.map(|provider_ref| Refund {
        refund_id: refund_id(order.order_id),
        provider_ref,
        amount: intent.amount,
        refunded_at: now,
    });
    let stored = ledger
        .record_charge(&Payment {
            status: PaymentStatus::Voided,
            refund,
            ..intent
        })
        .await?;
    tracing::info!(order_id = %order.order_id, payment_id = %stored.payment_id, status = stored.status.as_str(), "charge intent cancelled at the provider");
    Ok(stored)
}

/// Refunds a CHARGED payment in full and records it (once).
async fn refund_charge<L, G>(
    ledger: &L,
    gateway: &G,
    payment: Payment,
    now: DateTime<Utc>,
) -> Result<Payment, SagaError>
where
    L: PaymentLedger + ?Sized,
    G: PaymentGateway + ?Sized,
{
    let order_id = payment.order_id;
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
    Ok(stored)
}
