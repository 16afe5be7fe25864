//! The saga's payment records in the orders table (docs/data-model.md):
//! one payment item per order (`PAYMENT#<orderId>` / `PAYMENT`) and one
//! attempt counter per provider idempotency key
//! (`PAYMENT_ATTEMPT#<key>` / `ATTEMPT`).
//!
//! | payment attribute | |
//! | --- | --- |
//! | `paymentId`, `orderId`, `currency` | S |
//! | `amount` | S, the decimal exactly as charged |
//! | `status` | `CHARGED`, `DECLINED` or `REFUNDED` |
//! | `providerRef` | S, approved charges |
//! | `declineCode` | S, declined charges |
//! | `refund` | M (`refundId`, `providerRef`, `amount`, `refundedAt`), once refunded |
//! | `createdAt` | RFC 3339 UTC, milliseconds |
//!
//! A charge is a conditional `PutItem` (`attribute_not_exists(pk)`): the
//! first result wins, and a later one gets the stored item back. A refund
//! is an `UpdateItem` conditional on `#status = CHARGED`, so it is recorded
//! once; a refused one returns the item as it is.

use crate::item::{corrupt, get_n, get_s, get_time, opt_s, s, Item};
use crate::{classify, DynamoStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use orders_core::error::StoreError;
use orders_core::model::format_timestamp;
use orders_core::payments::{AttemptCounter, Payment, PaymentLedger, PaymentStatus, Refund};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use uuid::Uuid;

/// The key of an order's payment item.
pub fn payment_key(order_id: Uuid) -> Item {
    HashMap::from([
        ("pk".to_string(), s(format!("PAYMENT#{order_id}"))),
        ("sk".to_string(), s("PAYMENT")),
    ])
}

/// The key of the attempt counter of a provider idempotency key.
pub fn attempt_key(key: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), s(format!("PAYMENT_ATTEMPT#{key}"))),
        ("sk".to_string(), s("ATTEMPT")),
    ])
}

fn decimal(item: &Item, name: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(get_s(item, name)?).map_err(|_| corrupt(&format!("{name} is not a decimal")))
}

fn refund_to_map(r: &Refund) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        ("refundId".to_string(), s(&r.refund_id)),
        ("providerRef".to_string(), s(&r.provider_ref)),
        ("amount".to_string(), s(r.amount.to_string())),
        ("refundedAt".to_string(), s(format_timestamp(r.refunded_at))),
    ]))
}

fn payment_to_item(p: &Payment) -> Item {
    let mut item = payment_key(p.order_id);
    item.insert("paymentId".into(), s(&p.payment_id));
    item.insert("orderId".into(), s(p.order_id.to_string()));
    item.insert("amount".into(), s(p.amount.to_string()));
    item.insert("currency".into(), s(&p.currency));
    item.insert("status".into(), s(p.status.as_str()));
    if let Some(r) = &p.provider_ref {
        item.insert("providerRef".into(), s(r));
    }
    if let Some(c) = p.decline_code {
        item.insert("declineCode".into(), s(c.as_str()));
    }
    if let Some(r) = &p.refund {
        item.insert("refund".into(), refund_to_map(r));
    }
    item.insert("createdAt".into(), s(format_timestamp(p.created_at)));
    item
}

fn payment_from_item(item: &Item) -> Result<Payment, StoreError> {
    let refund = match item.get("refund") {
        None => None,
        Some(AttributeValue::M(m)) => Some(Refund {
            refund_id: get_s(m, "refundId")?.to_string(),
            provider_ref: get_s(m, "providerRef")?.to_string(),
            amount: decimal(m, "amount")?,
            refunded_at: get_time(m, "refundedAt")?,
        }),
        Some(_) => return Err(corrupt("refund is not a map")),
    };
    Ok(Payment {
        payment_id: get_s(item, "paymentId")?.to_string(),
        order_id: Uuid::try_parse(get_s(item, "orderId")?)
            .map_err(|_| corrupt("payment orderId is not a UUID"))?,
        amount: decimal(item, "amount")?,
        currency: get_s(item, "currency")?.to_string(),
        status: get_s(item, "status")?.parse()?,
        provider_ref: opt_s(item, "providerRef")?,
        decline_code: opt_s(item, "declineCode")?.map(|c| c.parse()).transpose()?,
        refund,
        created_at: get_time(item, "createdAt")?,
    })
}

/// A returned item that must be there.
fn present(item: Option<&Item>, what: &str) -> Result<Payment, StoreError> {
    payment_from_item(
        item.filter(|i| !i.is_empty())
            .ok_or_else(|| StoreError::Other(format!("{what} returned no item")))?,
    )
}

#[async_trait]
impl PaymentLedger for DynamoStore {
    async fn get_payment(&self, order_id: Uuid) -> Result<Option<Payment>, StoreError> {
        self.get_consistent(payment_key(order_id))
            .await?
            .as_ref()
            .map(payment_from_item)
            .transpose()
    }

    async fn record_charge(&self, payment: &Payment) -> Result<Payment, StoreError> {
        if payment.status == PaymentStatus::Refunded {
            return Err(StoreError::Other(
                "a payment is recorded CHARGED or DECLINED, never REFUNDED".into(),
            ));
        }
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(payment_to_item(payment)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            // As stored: read back from what was written (milliseconds).
            Ok(_) => payment_from_item(&payment_to_item(payment)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                tracing::debug!(order_id = %payment.order_id, "payment already recorded");
                self.get_payment(payment.order_id)
                    .await?
                    .ok_or_else(|| StoreError::Other("the stored payment vanished".into()))
            }
            Err(e) => Err(classify("PutItem", &e)),
        }
    }

    async fn record_refund(
        &self,
        order_id: Uuid,
        refund: &Refund,
    ) -> Result<Option<Payment>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(payment_key(order_id)))
            .update_expression("SET #status = :refunded, refund = :refund")
            .condition_expression("#status = :charged")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":refunded", s(PaymentStatus::Refunded.as_str()))
            .expression_attribute_values(":charged", s(PaymentStatus::Charged.as_str()))
            .expression_attribute_values(":refund", refund_to_map(refund))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => present(out.attributes.as_ref(), "UpdateItem").map(Some),
            Err(e) => match e.as_service_error() {
                // Refunded already, declined, or no payment at all.
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item().filter(|i| !i.is_empty()) {
                        Some(current) => payment_from_item(current).map(Some),
                        None => self.get_payment(order_id).await,
                    }
                }
                _ => Err(classify("UpdateItem", &e)),
            },
        }
    }
}

#[async_trait]
impl AttemptCounter for DynamoStore {
    async fn count_attempt(&self, key: &str) -> Result<u32, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(attempt_key(key)))
            .update_expression("ADD attempts :one")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| classify("UpdateItem", &e))?;
        let attributes = out
            .attributes
            .ok_or_else(|| StoreError::Other("UpdateItem returned no attempts".into()))?;
        get_n(&attributes, "attempts")
    }
}
