//! The saga's fence on the order item (docs/data-model.md, "The saga's
//! fence"): compensation begins with one conditional `UpdateItem` that
//! sets `compensationStartedAt` on a PROCESSING order. Completing the order
//! ([`crate::transitions`]), recording a charge intent ([`crate::payments`])
//! and writing a reservation ([`crate::inventory`]) are all conditional on
//! the attribute being absent, so of a completion and a compensation racing
//! for one order exactly one wins.

use crate::{classify, item, DynamoStore};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::model::{format_timestamp, OrderStatus};
use orders_core::ports::{CompensationStart, SagaFence};
use uuid::Uuid;

#[async_trait::async_trait]
impl SagaFence for DynamoStore {
    /// `SET compensationStartedAt = if_not_exists(compensationStartedAt,
    /// :at) REMOVE statusEvent` on `attribute_exists(pk) AND #status =
    /// :processing`. `if_not_exists` keeps the first mark, so a repeated
    /// call (a redelivered release, the refund after the release) moves
    /// nothing. `statusEvent` goes because the status pipe forwards every
    /// MODIFY of an order item whose new image carries one: left in place,
    /// this write would announce PROCESSING a second time. `updatedAt` and
    /// the index keys stay: the order's status has not changed.
    async fn begin_compensation(
        &self,
        order_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<CompensationStart, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item::order_key(order_id)))
            .update_expression(format!(
                "SET {c} = if_not_exists({c}, :at) REMOVE statusEvent",
                c = item::COMPENSATION_STARTED_AT
            ))
            .condition_expression("attribute_exists(pk) AND #status = :processing")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":processing",
                AttributeValue::S(OrderStatus::Processing.as_str().into()),
            )
            .expression_attribute_values(":at", AttributeValue::S(format_timestamp(at)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let order = out
                    .attributes()
                    .filter(|it| !it.is_empty())
                    .map(item::order_from_item)
                    .transpose()?
                    .ok_or_else(|| StoreError::Other("UpdateItem returned no attributes".into()))?;
                tracing::debug!(order_id = %order_id, "order compensation begun");
                Ok(CompensationStart::Begun(order))
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item().filter(|it| !it.is_empty()) {
                        Some(current) => {
                            let order = item::order_from_item(current)?;
                            tracing::debug!(order_id = %order_id, status = %order.status,
                                "order not processing: no compensation begun");
                            Ok(CompensationStart::NotProcessing(order))
                        }
                        None => Ok(CompensationStart::NotFound),
                    }
                }
                _ => Err(classify("UpdateItem", &e)),
            },
        }
    }
}
