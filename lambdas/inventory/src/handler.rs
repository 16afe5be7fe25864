//! Maps the state machine's payload (`{"action": "reserve" | "release",
//! "orderId": ...}`) to the stock steps and their JSON result. Out of stock
//! is a result (`{"status": "OUT_OF_STOCK", "unavailableSkus": [...]}`), not
//! an error, so it is never retried.

use chrono::Utc;
use orders_core::ports::Inventory;
use orders_core::usecases::saga::{parse_task, run_inventory_task, InventoryTask};
use orders_core::usecases::SagaError;
use orders_core::{OrderReader, SagaFence};
use serde_json::Value;

/// One saga step: `orders` gives the order's lines and holds its fence
/// (a release begins the order's compensation), `inventory` holds the stock.
pub async fn handle<R, I>(orders: &R, inventory: &I, payload: Value) -> Result<Value, SagaError>
where
    R: OrderReader + SagaFence + ?Sized,
    I: Inventory + ?Sized,
{
    let task: InventoryTask = parse_task(payload)?;
    run_inventory_task(orders, inventory, task, Utc::now()).await
}
