//! The payment steps: charge once, refund once.

use super::{processing_order, PaymentTask, SagaError};
use crate::error::StoreError;
use crate::payments::{
    payment_id, refund_id, to_minor_units, ChargeRequest, Payment, PaymentError, PaymentGateway,
    PaymentLedger, PaymentStatus, PaymentToken, ProviderCharge, Refund, RefundRequest,
};
use crate::ports::OrderReader;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

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
