//! The stock steps: reserve all or nothing, release once, behind the
//! order's fence.

use super::{begin_compensation, forward_gate, order_going_forward, InventoryTask, SagaError};
use crate::error::StoreError;
use crate::inventory::{reservation_lines, ReservationStatus, ReserveOutcome};
use crate::ports::{Inventory, OrderReader, SagaFence};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Inventory: `reserve` or `release`.
pub async fn run_inventory_task<R, I>(
    orders: &R,
    inventory: &I,
    task: InventoryTask,
    now: DateTime<Utc>,
) -> Result<Value, SagaError>
where
    R: OrderReader + SagaFence + ?Sized,
    I: Inventory + ?Sized,
{
    match task {
        InventoryTask::Reserve { order_id } => {
            let order = order_going_forward(orders, order_id).await?;
            let outcome = match inventory.get_reservation(order_id).await? {
                // Released: a compensation gave it back.
                Some(existing) if existing.status == ReservationStatus::Released => {
                    return Err(SagaError::Compensating(order_id))
                }
                Some(existing) => ReserveOutcome::Reserved(existing),
                None => {
                    inventory
                        .reserve(order_id, &reservation_lines(&order.items), now)
                        .await?
                }
            };
            match outcome {
                ReserveOutcome::Reserved(r) if r.status == ReservationStatus::Released => {
                    Err(SagaError::Compensating(order_id))
                }
                ReserveOutcome::Reserved(_) => {
                    tracing::info!(order_id = %order_id, "stock reserved");
                    Ok(json!({ "status": "RESERVED", "unavailableSkus": [] }))
                }
                ReserveOutcome::OutOfStock { skus } => {
                    tracing::info!(order_id = %order_id, skus = %skus.join(","), "out of stock");
                    Ok(json!({ "status": "OUT_OF_STOCK", "unavailableSkus": skus }))
                }
                ReserveOutcome::Fenced => {
                    let order = orders
                        .get_order(order_id)
                        .await?
                        .ok_or(SagaError::OrderNotFound(order_id))?;
                    Err(forward_gate(&order)
                        .err()
                        .unwrap_or(SagaError::Compensating(order_id)))
                }
            }
        }
        InventoryTask::Release { order_id } => {
            begin_compensation(orders, order_id, now).await?;
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
