//! The saga's payment records in the orders table (docs/data-model.md):
//! one payment item per order (`PAYMENT#<orderId>` / `PAYMENT`) and one
//! attempt counter per provider idempotency key
//! (`PAYMENT_ATTEMPT#<key>` / `ATTEMPT`).
//!
//! | payment attribute | |
//! | --- | --- |
//! | `paymentId`, `orderId`, `currency` | S |
//! | `amount` | S, the decimal exactly as charged |
//! | `status` | `CHARGING`, `CHARGED`, `DECLINED`, `REFUNDED` or `VOIDED` |
//! | `providerRef` | S, approved charges |
//! | `declineCode` | S, declined charges |
//! | `refund` | M (`refundId`, `providerRef`, `amount`, `refundedAt`), once refunded (or voided after a charge) |
//! | `createdAt` | RFC 3339 UTC, milliseconds |
//!
//! | status | meaning | written by |
//! | --- | --- | --- |
//! | `CHARGING` | the intent: the provider is about to be, or is being, asked | `begin_charge` |
//! | `CHARGED` | approved, not refunded | `record_charge` |
//! | `DECLINED` | declined: nothing was charged | `record_charge` |
//! | `REFUNDED` | charged, then refunded in full | `record_refund` |
//! | `VOIDED` | the intent was cancelled at the provider by its key (`refund` when it had charged) | `record_charge` |
//!
//! A charge begins with a `TransactWriteItems`: a `ConditionCheck` of the
//! order item (PROCESSING, `compensationStartedAt` absent: the saga's
//! fence) and the `Put` of the CHARGING intent (`attribute_not_exists(pk)`).
//! So an intent is only ever recorded for an order whose compensation has
//! not begun, and a compensation that begins afterwards finds it. The
//! answer is an `UpdateItem` conditional on `#status = CHARGING`: the first
//! answer wins, a later one gets the stored item back (`ALL_OLD`). A refund
//! is an `UpdateItem` conditional on `#status = CHARGED`, so it is recorded
//! once; a refused one returns the item as it is.
//!
//! Attempt counters carry `attempts` (N) and, once the key is voided,
//! `voided` (BOOL): counting is conditional on `attribute_not_exists(voided)`,
//! so after a void no call is counted (the simulated provider refuses it).

use crate::errors::{cancelled, conflict_backoff, Cancelled, TRANSACTION_ATTEMPTS};
use crate::item::{
    corrupt, get_n, get_s, get_time, opt_s, order_key, s, Item, COMPENSATION_STARTED_AT,
};
use crate::{classify, DynamoStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem,
};
use orders_core::error::StoreError;
use orders_core::model::{format_timestamp, OrderStatus};
use orders_core::payments::{ChargeStart, Payment, PaymentStatus, Refund};
use orders_core::ports::{AttemptCounter, PaymentLedger};
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

impl DynamoStore {
    /// The stored payment after a condition said there is one. Payments are
    /// never deleted, so a missing one is an inconsistency, not a race.
    async fn payment_on_record(&self, order_id: Uuid) -> Result<Payment, StoreError> {
        self.get_payment(order_id).await?.ok_or_else(|| {
            StoreError::Other(format!(
                "the payment of {order_id} failed its condition but is not stored"
            ))
        })
    }
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

    /// `TransactWriteItems`: [0] `ConditionCheck` of the order item (the
    /// saga's fence), [1] `Put` of the intent (`attribute_not_exists(pk)`).
    /// A cancellation says per action whether its condition failed: a
    /// payment on record is the answer whatever the order's state (it is
    /// what a retried step must continue from); only a failed fence is
    /// `Fenced`. Conflicts with a concurrent transaction are retried.
    async fn begin_charge(&self, intent: &Payment) -> Result<ChargeStart, StoreError> {
        if intent.status != PaymentStatus::Charging {
            return Err(StoreError::Other(
                "a charge begins with a CHARGING intent".into(),
            ));
        }
        let order_id = intent.order_id;
        let fence = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(order_key(order_id)))
            .condition_expression(format!(
                "#status = :processing AND attribute_not_exists({COMPENSATION_STARTED_AT})"
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":processing", s(OrderStatus::Processing.as_str()))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(payment_to_item(intent)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let items = vec![
            TransactWriteItem::builder().condition_check(fence).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                // As stored: read back from what was written (milliseconds).
                Ok(_) => {
                    return payment_from_item(&payment_to_item(intent)).map(ChargeStart::Begun)
                }
                Err(e) => e,
            };
            match cancelled("TransactWriteItems", &err)? {
                Cancelled::Conditions(failed) if failed.get(1) == Some(&true) => {
                    tracing::debug!(order_id = %order_id, "payment already recorded");
                    return self
                        .payment_on_record(order_id)
                        .await
                        .map(ChargeStart::Exists);
                }
                Cancelled::Conditions(_) => {
                    tracing::debug!(order_id = %order_id, "charge fenced: order not processing or compensating");
                    return Ok(ChargeStart::Fenced);
                }
                Cancelled::Conflict => conflict_backoff(attempt).await,
            }
        }
        Err(StoreError::Unavailable(format!(
            "the charge intent of {order_id} kept conflicting; retry"
        )))
    }

    /// `UpdateItem` of the status (and the reference, decline code or
    /// refund the answer has) conditional on `#status = CHARGING`. Only
    /// the answer's fields are written: amount, currency and `createdAt`
    /// stay as the intent recorded them.
    async fn record_charge(&self, payment: &Payment) -> Result<Payment, StoreError> {
        if !matches!(
            payment.status,
            PaymentStatus::Charged | PaymentStatus::Declined | PaymentStatus::Voided
        ) {
            return Err(StoreError::Other(
                "a charge is answered CHARGED, DECLINED or VOIDED".into(),
            ));
        }
        let order_id = payment.order_id;
        let mut update = String::from("SET #status = :status");
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(payment_key(order_id)))
            .condition_expression("#status = :charging")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(payment.status.as_str()))
            .expression_attribute_values(":charging", s(PaymentStatus::Charging.as_str()))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(r) = &payment.provider_ref {
            update.push_str(", providerRef = :ref");
            req = req.expression_attribute_values(":ref", s(r));
        }
        if let Some(c) = payment.decline_code {
            update.push_str(", declineCode = :code");
            req = req.expression_attribute_values(":code", s(c.as_str()));
        }
        if let Some(r) = &payment.refund {
            update.push_str(", refund = :refund");
            req = req.expression_attribute_values(":refund", refund_to_map(r));
        }
        match req.update_expression(update).send().await {
            Ok(out) => present(out.attributes.as_ref(), "UpdateItem"),
            Err(e) => match e.as_service_error() {
                // Answered already (the first answer wins), or no intent.
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item().filter(|i| !i.is_empty()) {
                        Some(current) => {
                            tracing::debug!(order_id = %order_id, "payment already answered");
                            payment_from_item(current)
                        }
                        None => Err(StoreError::Other(format!(
                            "the payment of {order_id} is not recorded: a charge begins with its intent"
                        ))),
                    }
                }
                _ => Err(classify("UpdateItem", &e)),
            },
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
                // Refunded already, declined, voided, still an intent, or no
                // payment at all.
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
    /// `ADD attempts :one` on `attribute_not_exists(voided)` (the first
    /// count creates the item); a voided key fails the condition and counts
    /// nothing.
    async fn count_attempt(&self, key: &str) -> Result<Option<u32>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(attempt_key(key)))
            .update_expression("ADD attempts :one")
            .condition_expression("attribute_not_exists(voided)")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let attributes = out
                    .attributes
                    .ok_or_else(|| StoreError::Other("UpdateItem returned no attempts".into()))?;
                get_n(&attributes, "attempts").map(Some)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("UpdateItem", &e)),
        }
    }

    /// `SET voided = :true ADD attempts :zero`, unconditional: voiding twice
    /// is voiding once, and `ADD` of zero makes `attempts` read 0 for a key
    /// never counted (the item is created) without changing a real count.
    /// One write per item, so a concurrent count lands wholly before (and is
    /// in the returned count) or after (and is refused).
    async fn void_key(&self, key: &str) -> Result<u32, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(attempt_key(key)))
            .update_expression("SET voided = :true ADD attempts :zero")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| classify("UpdateItem", &e))?;
        let attributes = out
            .attributes
            .ok_or_else(|| StoreError::Other("UpdateItem returned no attempts".into()))?;
        get_n(&attributes, "attempts")
    }
}
