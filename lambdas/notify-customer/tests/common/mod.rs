//! What the notifier's test files share: an order with contact details, its
//! PENDING → PROCESSING event, and the SNS event that carries messages.

use aws_lambda_events::event::sns::SnsEvent;
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_test_support::events::{self, fixture};
use orders_test_support::orders::base_time;
use orders_test_support::World;
use uuid::Uuid;

/// Creates an order of Ada Lovelace's with `email` and, if given, `phone`.
pub async fn order_with(w: &World, email: &str, phone: Option<&str>) -> Uuid {
    let phone = phone
        .map(|p| format!(r#","customerPhone":"{p}""#))
        .unwrap_or_default();
    let body = format!(
        r#"{{"customerId":"c-1","customerName":"Ada Lovelace","customerEmail":"{email}"{phone},"items":[{{"sku":"A","quantity":2,"price":"4.25"}}]}}"#
    );
    w.create(&body).await.order_id
}

/// The `OrderStatusChanged` PENDING → PROCESSING of order `id`, as JSON.
pub fn processing(id: Uuid) -> String {
    OrderEvent::from(
        OrderStatusChanged::new(
            id,
            OrderStatus::Pending,
            OrderStatus::Processing,
            None,
            base_time(),
        )
        .unwrap(),
    )
    .to_json()
}

/// An SNS event with one record per message body.
pub fn sns_event(messages: &[&str]) -> SnsEvent {
    events::sns_event(
        &fixture(env!("CARGO_MANIFEST_DIR"), "sns-event.json"),
        messages,
    )
}

/// The state and error code of the ledger entry of order `id`'s PROCESSING
/// notification.
pub async fn ledger_state(w: &World, id: Uuid) -> (String, Option<String>) {
    let e = w
        .store
        .ledger_entry(id, OrderStatus::Processing)
        .await
        .unwrap()
        .expect("a ledger entry");
    (e.state, e.error_code)
}
