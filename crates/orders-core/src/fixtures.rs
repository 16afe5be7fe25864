//! Sample orders and event documents, for this crate's tests and those of
//! the crates that check or carry them (feature `fixtures`, tests only).

use crate::events::{OrderCreated, OrderEvent, OrderStatusChanged};
use crate::model::{parse_timestamp, Order, OrderItem, OrderStatus};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

/// An order of two lines, PENDING, at a fixed time.
pub fn order() -> Order {
    Order {
        order_id: Uuid::parse_str("019a1b2c-3d4e-7f00-8a00-0123456789ab").unwrap(),
        customer_id: "cust-42".into(),
        customer_name: Some("Ada Lovelace".into()),
        customer_email: Some("ada@example.com".into()),
        customer_phone: None,
        items: vec![
            OrderItem {
                sku: "A".into(),
                quantity: 2,
                price: Decimal::new(1000, 2),
                line_total: Decimal::new(2000, 2),
            },
            OrderItem {
                sku: "B".into(),
                quantity: 1,
                price: Decimal::new(999, 2),
                line_total: Decimal::new(999, 2),
            },
        ],
        total: Decimal::new(2999, 2),
        currency: "EUR".into(),
        status: OrderStatus::Pending,
        status_reason: None,
        status_detail: None,
        payment_token: None,
        compensation_started_at: None,
        created_at: parse_timestamp("2026-11-22T02:01:33.123Z").unwrap(),
        updated_at: parse_timestamp("2026-11-22T02:01:33.123Z").unwrap(),
    }
}

/// The `OrderCreated` document of [`order`], as it goes on the wire.
pub fn created_json() -> Value {
    serde_json::to_value(OrderEvent::from(OrderCreated::from_order(&order()))).unwrap()
}

/// [`order`] moving from PROCESSING to FAILED, with `reason`.
pub fn changed(reason: Option<&str>) -> OrderStatusChanged {
    OrderStatusChanged::new(
        order().order_id,
        OrderStatus::Processing,
        OrderStatus::Failed,
        reason.map(str::to_owned),
        parse_timestamp("2026-11-22T02:01:35.000Z").unwrap(),
    )
    .unwrap()
}
