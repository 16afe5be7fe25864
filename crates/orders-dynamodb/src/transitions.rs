//! Status moves: one conditional `UpdateItem` per transition, which also
//! writes the move's `OrderStatusChanged` into the item (`statusEvent`), so
//! the stream's MODIFY record of the move carries its event (the second
//! pipe forwards it to the notifications topic; docs/data-model.md).
//! A move to COMPLETED is also conditional on the saga's fence
//! ([`crate::fence`]) not being set.

use crate::{classify, item, DynamoStore};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use orders_core::error::StoreError;
use orders_core::events::OrderEvent;
use orders_core::model::{format_timestamp, shard_of, OrderStatus};
use orders_core::ports::{OrderStatusUpdater, StatusChange, TransitionOutcome};

#[async_trait::async_trait]
impl OrderStatusUpdater for DynamoStore {
    /// One conditional `UpdateItem` (`attribute_exists(pk) AND #status =
    /// :from`) that sets the status, `updatedAt`, `statusReason`,
    /// `statusDetail`, `statusEvent` and the `byStatus` key `gsi1pk`
    /// together (same shard, new status). A move to COMPLETED also needs
    /// `attribute_not_exists(compensationStartedAt)`: an order whose
    /// compensation began (its payment refunded or its stock released, or
    /// about to be) must not complete. A failed condition returns the
    /// current item (`ALL_OLD`): the order as it is (for a fenced
    /// completion, still PROCESSING with `compensation_started_at` set), or
    /// nothing when there is no such order. A move the lifecycle does not
    /// allow has no event and is refused before any request.
    async fn transition(&self, change: &StatusChange) -> Result<TransitionOutcome, StoreError> {
        let event = OrderEvent::from(change.event()?).to_json();
        let shard = shard_of(change.order_id);
        let mut update = String::from(
            "SET #status = :to, gsi1pk = :gsi1pk, updatedAt = :at, statusEvent = :event",
        );
        let mut remove = Vec::new();
        let condition = if change.to == OrderStatus::Completed {
            format!(
                "attribute_exists(pk) AND #status = :from AND attribute_not_exists({})",
                item::COMPENSATION_STARTED_AT
            )
        } else {
            "attribute_exists(pk) AND #status = :from".to_string()
        };
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item::order_key(change.order_id)))
            .condition_expression(condition)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", AttributeValue::S(change.from.as_str().into()))
            .expression_attribute_values(":to", AttributeValue::S(change.to.as_str().into()))
            .expression_attribute_values(
                ":gsi1pk",
                AttributeValue::S(item::status_partition(change.to, shard)),
            )
            .expression_attribute_values(":at", AttributeValue::S(format_timestamp(change.at)))
            .expression_attribute_values(":event", AttributeValue::S(event))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (attribute, placeholder, value) in [
            ("statusReason", ":reason", &change.reason),
            ("statusDetail", ":detail", &change.detail),
        ] {
            match value {
                Some(v) => {
                    update.push_str(&format!(", {attribute} = {placeholder}"));
                    req =
                        req.expression_attribute_values(placeholder, AttributeValue::S(v.clone()));
                }
                None => remove.push(attribute),
            }
        }
        if !remove.is_empty() {
            update.push_str(&format!(" REMOVE {}", remove.join(", ")));
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
