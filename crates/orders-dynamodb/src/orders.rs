//! Creating orders (a conditional `PutItem`, or with an idempotency key a
//! `TransactWriteItems` of the order and its record) and reading them.

use crate::item::{self, Item};
use crate::{classify, DynamoStore};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use orders_core::error::StoreError;
use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::Order;
use orders_core::ports::{CreateOutcome, OrderReader, OrderWriter};
use std::time::Duration;
use uuid::Uuid;

/// How many times a create with an idempotency key is attempted when the
/// outcome is ambiguous (the blocking record expired or vanished between the
/// cancelled transaction and the read, or a transaction conflict).
const CREATE_ATTEMPTS: u32 = 4;

impl DynamoStore {
    /// A conditional `PutItem`. The SDK retries a throttled or failed
    /// attempt; when an attempt was applied but its answer lost (a 500 or a
    /// timeout after the write), the retry fails its condition on our own
    /// item: the old item it returns is exactly what we wrote, so the order
    /// was created once, not twice, and not "already existing" either.
    async fn put_order(&self, order: &Order) -> Result<CreateOutcome, StoreError> {
        let new_item = item::order_to_item(order);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(new_item.clone()))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(CreateOutcome::Created),
            Err(e) => e,
        };
        match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(cond)) => {
                if cond.item() == Some(&new_item) {
                    tracing::info!(order_id = %order.order_id,
                        "an earlier attempt of this create was applied");
                    return Ok(CreateOutcome::Created);
                }
                Err(StoreError::OrderExists(order.order_id.to_string()))
            }
            _ => Err(classify("PutItem", &err)),
        }
    }

    async fn transact_create(
        &self,
        order: &Order,
        record: &IdempotencyRecord,
    ) -> Result<CreateOutcome, StoreError> {
        let order_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item::order_to_item(order)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let record_item = item::record_to_item(record);
        let mut delay = Duration::from_millis(10);
        // The request's time, given by the use case (the order's createdAt):
        // the store reads no clock of its own.
        let now = order.created_at.timestamp();
        for attempt in 1..=CREATE_ATTEMPTS {
            // `expiresAt <= :now` is the domain's "expired" (see
            // IdempotencyRecord::is_expired): such a record counts as absent.
            let record_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(record_item.clone()))
                .condition_expression("attribute_not_exists(pk) OR expiresAt <= :now")
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(order_put.clone()).build())
                .transact_items(TransactWriteItem::builder().put(record_put).build())
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(CreateOutcome::Created),
                Err(e) => e,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
                err.as_service_error()
            else {
                return Err(classify("TransactWriteItems", &err));
            };
            let reasons = cancel.cancellation_reasons();
            let code = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
            tracing::debug!(order_id = %order.order_id, attempt, order_reason = code(0),
                record_reason = code(1), "create transaction cancelled");
            if code(1) == "ConditionalCheckFailed" || reasons.is_empty() {
                // The record blocked us (or the server gave no reasons): the
                // live record is the answer. Prefer the copy the cancellation
                // carries, else read it.
                let existing = match reasons.get(1).and_then(|r| r.item()) {
                    Some(old) if !old.is_empty() => Some(item::record_from_item(old)?),
                    _ => self.get_record(&record.key).await?,
                };
                match existing {
                    Some(r) if !r.is_expired(now) => {
                        return Ok(CreateOutcome::KeyExists(r));
                    }
                    // No reasons given and no live record: was it the order?
                    _ if reasons.is_empty() && self.get_order(order.order_id).await?.is_some() => {
                        return Err(StoreError::OrderExists(order.order_id.to_string()));
                    }
                    // Expired or deleted meanwhile: the next attempt replaces it.
                    _ => {}
                }
            } else if code(0) == "ConditionalCheckFailed" {
                return Err(StoreError::OrderExists(order.order_id.to_string()));
            } else if reasons
                .iter()
                .filter_map(|r| r.code())
                .any(|c| c.contains("Throughput") || c.contains("Throttl"))
            {
                return Err(StoreError::Unavailable(format!(
                    "TransactWriteItems throttled: {}",
                    DisplayErrorContext(&err)
                )));
            } else if !reasons
                .iter()
                .filter_map(|r| r.code())
                .any(|c| c == "TransactionConflict")
            {
                return Err(classify("TransactWriteItems", &err));
            }
            // A conflicting transaction on the same items, or a record that
            // expired under us: back off briefly and try again.
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        tracing::warn!(order_id = %order.order_id, "idempotent create did not settle");
        Err(StoreError::Unavailable(
            "idempotent create kept conflicting; retry".into(),
        ))
    }

    async fn get_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.get_consistent(item::record_key(key))
            .await?
            .as_ref()
            .map(item::record_from_item)
            .transpose()
    }

    /// The item at `key`, read with a strongly consistent `GetItem`.
    pub(crate) async fn get_consistent(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", &e))?;
        Ok(out.item)
    }
}

#[async_trait::async_trait]
impl OrderWriter for DynamoStore {
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError> {
        let outcome = match idempotency {
            None => self.put_order(order).await,
            Some(record) => self.transact_create(order, record).await,
        };
        match &outcome {
            Ok(CreateOutcome::Created) => {
                tracing::debug!(order_id = %order.order_id, shard = order.shard(), "order written");
            }
            Ok(CreateOutcome::KeyExists(r)) => {
                tracing::debug!(order_id = %r.order_id, "idempotency key already used");
            }
            Err(StoreError::OrderExists(_)) => {
                tracing::warn!(order_id = %order.order_id, "order id already exists");
            }
            Err(e) => tracing::warn!(order_id = %order.order_id, error = %e, "create failed"),
        }
        outcome
    }
}

#[async_trait::async_trait]
impl OrderReader for DynamoStore {
    async fn get_order(&self, order_id: Uuid) -> Result<Option<Order>, StoreError> {
        self.get_consistent(item::order_key(order_id))
            .await?
            .as_ref()
            .map(item::order_from_item)
            .transpose()
    }
}
