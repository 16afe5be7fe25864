//! Maps the state machine's payload (`{"action": "complete", "orderId": ...}`
//! or `{"action": "fail", "orderId": ..., "reason": "OUT_OF_STOCK", "skus":
//! [...]}`) to the core's conditional transition. The status event comes
//! from the write (stream or outbox), not from here.

use chrono::Utc;
use orders_core::usecases::saga::{parse_task, run_settle_task, SettleTask};
use orders_core::usecases::SagaError;
use orders_core::OrderStatusUpdater;
use serde_json::Value;

/// One saga step.
pub async fn handle<U>(orders: &U, payload: Value) -> Result<Value, SagaError>
where
    U: OrderStatusUpdater + ?Sized,
{
    let task: SettleTask = parse_task(payload)?;
    run_settle_task(orders, task, Utc::now()).await
}
