//! The stock steps: reserve all or nothing, release once.

use super::{processing_order, InventoryTask, SagaError};
use crate::error::StoreError;
use crate::inventory::{reservation_lines, Inventory, ReservationStatus, ReserveOutcome};
use crate::ports::OrderReader;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

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
