//! Reservations in the orders table (docs/data-model.md): one item per
//! order, `RESERVATION#<orderId>` / `RESERVATION`, with `orderId`,
//! `status` (`RESERVED`, `RELEASED`), `lines` (L of M `sku`, `quantity`),
//! `reservedAt` and, once released, `releasedAt`.
//!
//! A reservation is one `TransactWriteItems`: the reservation `Put`
//! (`attribute_not_exists(pk)`) first, then per line an `Update` of the
//! stock item `SET available = available - :q, reserved = reserved + :q`
//! conditional on `attribute_exists(pk) AND available >= :q`, and last a
//! `ConditionCheck` of the order item: PROCESSING with
//! `compensationStartedAt` absent (the saga's fence, [`crate::fence`]), so
//! no stock is held for an order whose compensation has begun (its release
//! may have run already and would never give it back). DynamoDB applies
//! all or none, so stock never goes below zero and of concurrent
//! reservations of the last units exactly one succeeds. A cancelled
//! transaction says why per item, in request order: a failed reservation
//! condition means the order is reserved already (its stored reservation is
//! the answer); else a failed order check means the order is fenced; else
//! failed stock conditions name the SKUs short or unknown.
//! A release is the mirror image, conditional on the reservation being
//! `RESERVED`, so its units go back once.

use crate::errors::{cancelled, conflict_backoff, Cancelled, TRANSACTION_ATTEMPTS};
use crate::item::{order_key, s, COMPENSATION_STARTED_AT};
use crate::stock::{n, reservation_from_item, reservation_key, reservation_to_item, stock_key};
use crate::DynamoStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::inventory::{Reservation, ReservationLine, ReservationStatus, ReserveOutcome};
use orders_core::model::{format_timestamp, OrderStatus};
use orders_core::ports::Inventory;
use uuid::Uuid;

/// Most lines one reservation takes: `TransactWriteItems` holds at most 100
/// actions, two of which are the reservation itself and the order's fence
/// check.
pub const MAX_RESERVATION_LINES: usize = 98;

/// One stock line's update in a reservation (`reserve`) or a release.
fn stock_update(
    table: &str,
    line: &ReservationLine,
    reserve: bool,
    at: &str,
) -> Result<TransactWriteItem, StoreError> {
    let (update, condition) = if reserve {
        (
            "SET available = available - :q, reserved = reserved + :q, updatedAt = :at",
            "attribute_exists(pk) AND available >= :q",
        )
    } else {
        (
            "SET available = available + :q, reserved = reserved - :q, updatedAt = :at",
            "attribute_exists(pk) AND reserved >= :q",
        )
    };
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(stock_key(&line.sku)))
        .update_expression(update)
        .condition_expression(condition)
        .expression_attribute_values(":q", n(line.quantity))
        .expression_attribute_values(":at", s(at))
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

impl DynamoStore {
    fn stored_reservation(&self, r: &Reservation) -> Result<Reservation, StoreError> {
        // As a read would return it (timestamps in milliseconds).
        reservation_from_item(&reservation_to_item(r))
    }
}

#[async_trait]
impl Inventory for DynamoStore {
    async fn reserve(
        &self,
        order_id: Uuid,
        lines: &[ReservationLine],
        at: DateTime<Utc>,
    ) -> Result<ReserveOutcome, StoreError> {
        if lines.len() > MAX_RESERVATION_LINES {
            return Err(StoreError::Other(format!(
                "a reservation takes at most {MAX_RESERVATION_LINES} SKUs, order {order_id} has {}",
                lines.len()
            )));
        }
        let reservation = Reservation {
            order_id,
            lines: lines.to_vec(),
            status: ReservationStatus::Reserved,
            reserved_at: at,
            released_at: None,
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(reservation_to_item(&reservation)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let at_text = format_timestamp(at);
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        for line in lines {
            items.push(stock_update(&self.table, line, true, &at_text)?);
        }
        // Last, so the reservation stays [0] and line i stays [1 + i].
        let fence = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(order_key(order_id)))
            .condition_expression(format!(
                "attribute_exists(pk) AND #status = :processing \
                 AND attribute_not_exists({COMPENSATION_STARTED_AT})"
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":processing", s(OrderStatus::Processing.as_str()))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        items.push(TransactWriteItem::builder().condition_check(fence).build());
        let fence_index = items.len() - 1;
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    return Ok(ReserveOutcome::Reserved(
                        self.stored_reservation(&reservation)?,
                    ))
                }
                Err(e) => e,
            };
            match cancelled("TransactWriteItems", &err)? {
                Cancelled::Conditions(failed) if failed.first() == Some(&true) => {
                    if let Some(existing) = self.get_reservation(order_id).await? {
                        tracing::debug!(order_id = %order_id, "already reserved");
                        return Ok(ReserveOutcome::Reserved(existing));
                    }
                }
                Cancelled::Conditions(failed) if failed.get(fence_index) == Some(&true) => {
                    tracing::debug!(order_id = %order_id, "reservation fenced: order not processing or compensating");
                    return Ok(ReserveOutcome::Fenced);
                }
                Cancelled::Conditions(failed) => {
                    let mut skus: Vec<String> = lines
                        .iter()
                        .zip(failed.iter().skip(1))
                        .filter(|(_, failed)| **failed)
                        .map(|(l, _)| l.sku.clone())
                        .collect();
                    skus.sort();
                    skus.dedup();
                    tracing::debug!(order_id = %order_id, short = skus.len(), "out of stock");
                    return Ok(ReserveOutcome::OutOfStock { skus });
                }
                Cancelled::Conflict => {}
            }
            conflict_backoff(attempt).await;
        }
        Err(StoreError::Unavailable(format!(
            "the reservation of {order_id} kept conflicting; retry"
        )))
    }

    async fn release(
        &self,
        order_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError> {
        let at_text = format_timestamp(at);
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let Some(held) = self.get_reservation(order_id).await? else {
                return Ok(None);
            };
            if held.status == ReservationStatus::Released {
                return Ok(Some(held));
            }
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(reservation_key(order_id)))
                .update_expression("SET #status = :released, releasedAt = :at")
                .condition_expression("#status = :reserved")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":released", s(ReservationStatus::Released.as_str()))
                .expression_attribute_values(":reserved", s(ReservationStatus::Reserved.as_str()))
                .expression_attribute_values(":at", s(&at_text))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let mut items = vec![TransactWriteItem::builder().update(update).build()];
            for line in &held.lines {
                items.push(stock_update(&self.table, line, false, &at_text)?);
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    let mut released = held;
                    released.status = ReservationStatus::Released;
                    released.released_at = Some(at);
                    return self.stored_reservation(&released).map(Some);
                }
                Err(e) => e,
            };
            match cancelled("TransactWriteItems", &err)? {
                // Released meanwhile by another call: the loop reads it.
                Cancelled::Conditions(failed) if failed.first() == Some(&true) => continue,
                Cancelled::Conditions(_) => {
                    return Err(StoreError::Corrupt(format!(
                        "the stock of the reservation of {order_id} holds less than it reserved"
                    )))
                }
                Cancelled::Conflict => conflict_backoff(attempt).await,
            }
        }
        Err(StoreError::Unavailable(format!(
            "the release of {order_id} kept conflicting; retry"
        )))
    }

    async fn get_reservation(&self, order_id: Uuid) -> Result<Option<Reservation>, StoreError> {
        self.get_consistent(reservation_key(order_id))
            .await?
            .as_ref()
            .map(reservation_from_item)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_aws_runtime::AwsEnv;

    /// What a create request may hold: `items` of the create-order schema.
    fn schema_max_items() -> usize {
        let schema: serde_json::Value = serde_json::from_str(include_str!(
            "../../../contracts/schemas/create-order.schema.json"
        ))
        .unwrap();
        schema["properties"]["items"]["maxItems"]
            .as_u64()
            .expect("items has maxItems") as usize
    }

    #[test]
    fn every_order_the_api_accepts_fits_one_reservation_transaction() {
        // An order may list each SKU once per line, so `maxItems` distinct
        // SKUs must fit the transaction's 100 actions.
        let max_items = schema_max_items();
        assert!(
            max_items <= MAX_RESERVATION_LINES,
            "create-order.schema.json accepts {max_items} lines, a reservation takes at most \
             {MAX_RESERVATION_LINES} SKUs (100 actions: reservation, order fence, lines)"
        );
    }

    #[tokio::test]
    async fn a_reservation_over_the_transaction_limit_is_refused_before_any_request() {
        // Port 9 on loopback: any request would fail as unreachable.
        let client =
            crate::client(&AwsEnv::new("us-east-1", "t", "t").with_endpoint("http://127.0.0.1:9"));
        let store = DynamoStore::new(client, "nowhere");
        let lines: Vec<ReservationLine> = (0..=MAX_RESERVATION_LINES)
            .map(|i| ReservationLine {
                sku: format!("s{i}"),
                quantity: 1,
            })
            .collect();
        let err = store
            .reserve(Uuid::now_v7(), &lines, Utc::now())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Other(m) if m.contains("at most 98 SKUs")),
            "{err:?}"
        );
    }
}
