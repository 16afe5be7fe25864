//! Status moves: one conditional `UpdateItem` per transition.

use crate::{classify, item, DynamoStore};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use orders_core::error::StoreError;
use orders_core::model::{format_timestamp, shard_of};
use orders_core::ports::{OrderStatusUpdater, StatusChange, TransitionOutcome};

#[async_trait::async_trait]
impl OrderStatusUpdater for DynamoStore {
    /// One conditional `UpdateItem` (`attribute_exists(pk) AND #status =
    /// :from`) that sets the status, `updatedAt`, `statusReason` and the
    /// `byStatus` key `gsi1pk` together (same shard, new status). A failed
    /// condition returns the current item (`ALL_OLD`): the order as it is, or
    /// nothing when there is no such order.
    async fn transition(&self, change: &StatusChange) -> Result<TransitionOutcome, StoreError> {
        let shard = shard_of(change.order_id);
        let mut update = String::from("SET #status = :to, gsi1pk = :gsi1pk, updatedAt = :at");
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item::order_key(change.order_id)))
            .condition_expression("attribute_exists(pk) AND #status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", AttributeValue::S(change.from.as_str().into()))
            .expression_attribute_values(":to", AttributeValue::S(change.to.as_str().into()))
            .expression_attribute_values(
                ":gsi1pk",
                AttributeValue::S(item::status_partition(change.to, shard)),
            )
            .expression_attribute_values(":at", AttributeValue::S(format_timestamp(change.at)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match &change.reason {
            Some(reason) => {
                update.push_str(", statusReason = :reason");
                req = req.expression_attribute_values(":reason", AttributeValue::S(reason.clone()));
            }
            None => update.push_str(" REMOVE statusReason"),
        }
        let order_id = change.order_id;
        match req.update_expression(update).send().await {
            Ok(out) => {
                let order = out
                    .attributes()
                    .map(item::order_from_item)
                    .transpose()?
                    .ok_or_else(|| StoreError::Other("UpdateItem returned no attributes".into()))?;
                tracing::debug!(order_id = %order_id, from = %change.from, to = %change.to,
                    "order status moved");
                Ok(TransitionOutcome::Moved(order))
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item().filter(|it| !it.is_empty()) {
                        Some(current) => {
                            let order = item::order_from_item(current)?;
                            tracing::debug!(order_id = %order_id, from = %change.from,
                                status = %order.status, "order not in the expected status");
                            Ok(TransitionOutcome::Unchanged(order))
                        }
                        None => Ok(TransitionOutcome::NotFound),
                    }
                }
                _ => Err(classify("UpdateItem", &e)),
            },
        }
    }
}
