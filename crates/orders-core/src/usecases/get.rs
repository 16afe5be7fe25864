//! `GET /orders/{orderId}`.

use crate::error::OrdersError;
use crate::model::{parse_order_id, Order};
use crate::ports::OrderReader;

/// The order with the id in `raw_id`: 400 for a malformed id, 404 for none.
pub async fn get_order<R: OrderReader + ?Sized>(
    store: &R,
    raw_id: &str,
) -> Result<Order, OrdersError> {
    let id = parse_order_id(raw_id)?;
    store
        .get_order(id)
        .await?
        .ok_or_else(|| OrdersError::NotFound(id.to_string()))
}
