//! The events an order emits, as they travel on the queue and the topic.
//!
//! Each event is one flat JSON object: an envelope (`eventType`,
//! `eventVersion`, `eventId`, `occurredAt`, `orderId`) and its payload, in
//! camelCase, money as a two-place string. The contracts are the JSON Schemas
//! in `contracts/events/` (draft-4 subset); a consumer checks a document
//! against them before it trusts it (`orders_validation::events`).
//!
//! Events never carry the customer's name or e-mail address: a consumer that
//! needs them (the notifier) reads the order.

use crate::model::{timestamp, Order, OrderStatus};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `eventType` of [`OrderCreated`].
pub const ORDER_CREATED: &str = "OrderCreated";
/// `eventType` of [`OrderStatusChanged`].
pub const ORDER_STATUS_CHANGED: &str = "OrderStatusChanged";
/// The `eventVersion` this build produces.
pub const EVENT_VERSION: u32 = 1;

/// An order was accepted (status PENDING). One per order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub event_version: u32,
    pub event_id: Uuid,
    #[serde(with = "timestamp")]
    pub occurred_at: DateTime<Utc>,
    pub order_id: Uuid,
    pub customer_id: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: String,
    /// Units ordered: the sum of the lines' quantities. Read from an
    /// integer or a string of digits (see the schema); written as an integer.
    #[serde(deserialize_with = "count_or_digits")]
    pub item_count: u32,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
}

impl OrderCreated {
    /// The event of a new order; it occurred when the order was created.
    ///
    /// Its id is the order id: an order has exactly one `OrderCreated`, and
    /// both producers (the EventBridge Pipe, which can only copy attributes
    /// of the stream record, and the local outbox) give it the same id, so a
    /// redelivered or re-dispatched event keeps it.
    pub fn from_order(order: &Order) -> Self {
        Self {
            event_version: EVENT_VERSION,
            event_id: order.order_id,
            occurred_at: order.created_at,
            order_id: order.order_id,
            customer_id: order.customer_id.clone(),
            total: order.total,
            currency: order.currency.clone(),
            item_count: order
                .items
                .iter()
                .fold(0u32, |n, i| n.saturating_add(i.quantity)),
            created_at: order.created_at,
        }
    }
}

/// A count written as a JSON integer or as its digits in a string.
fn count_or_digits<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Count {
        Number(u32),
        Digits(String),
    }
    match Count::deserialize(d)? {
        Count::Number(n) => Ok(n),
        Count::Digits(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

/// An order moved from one status to another. One per transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatusChanged {
    pub event_version: u32,
    pub event_id: Uuid,
    #[serde(with = "timestamp")]
    pub occurred_at: DateTime<Utc>,
    pub order_id: Uuid,
    pub previous_status: OrderStatus,
    pub status: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(with = "timestamp")]
    pub changed_at: DateTime<Utc>,
}

impl OrderStatusChanged {
    /// The event of a transition the lifecycle allows
    /// ([`OrderStatus::can_move_to`]); `None` for a move that is not allowed.
    /// An empty reason is dropped.
    ///
    /// An order enters each status at most once, so the event id is derived
    /// from (order, status) ([`status_event_id`]): a republished event keeps
    /// its id and consumers can deduplicate on it.
    pub fn new(
        order_id: Uuid,
        previous_status: OrderStatus,
        status: OrderStatus,
        reason: Option<String>,
        changed_at: DateTime<Utc>,
    ) -> Option<Self> {
        previous_status.can_move_to(status).then(|| Self {
            event_version: EVENT_VERSION,
            event_id: status_event_id(order_id, status),
            occurred_at: changed_at,
            order_id,
            previous_status,
            status,
            reason: reason.filter(|r| !r.is_empty()),
            changed_at,
        })
    }
}

/// The id of the event of `order_id` entering `status`: a UUID v5 in the
/// order id's namespace.
pub fn status_event_id(order_id: Uuid, status: OrderStatus) -> Uuid {
    Uuid::new_v5(&order_id, status.as_str().as_bytes())
}

/// Any event, tagged by `eventType` on the wire. This is what producers
/// serialize and consumers parse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "eventType")]
pub enum OrderEvent {
    OrderCreated(OrderCreated),
    OrderStatusChanged(OrderStatusChanged),
}

impl OrderEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::OrderCreated(_) => ORDER_CREATED,
            Self::OrderStatusChanged(_) => ORDER_STATUS_CHANGED,
        }
    }

    pub fn event_id(&self) -> Uuid {
        match self {
            Self::OrderCreated(e) => e.event_id,
            Self::OrderStatusChanged(e) => e.event_id,
        }
    }

    pub fn order_id(&self) -> Uuid {
        match self {
            Self::OrderCreated(e) => e.order_id,
            Self::OrderStatusChanged(e) => e.order_id,
        }
    }

    /// The JSON document of the event.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events always serialize")
    }
}

impl From<OrderCreated> for OrderEvent {
    fn from(e: OrderCreated) -> Self {
        Self::OrderCreated(e)
    }
}

impl From<OrderStatusChanged> for OrderEvent {
    fn from(e: OrderStatusChanged) -> Self {
        Self::OrderStatusChanged(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{changed, created_json, order};
    use serde_json::{json, Value};

    #[test]
    fn order_created_wire_format() {
        let v = created_json();
        let id = v["eventId"].as_str().unwrap().to_string();
        assert_eq!(
            v,
            json!({
                "eventType": "OrderCreated", "eventVersion": 1, "eventId": id,
                "occurredAt": "2026-11-22T02:01:33.123Z",
                "orderId": "019a1b2c-3d4e-7f00-8a00-0123456789ab",
                "customerId": "cust-42", "total": "29.99", "currency": "EUR",
                "itemCount": 3, "createdAt": "2026-11-22T02:01:33.123Z"
            })
        );
    }

    #[test]
    fn events_carry_no_pii() {
        let text = OrderEvent::from(OrderCreated::from_order(&order())).to_json();
        assert!(!text.contains("ada@example.com"), "{text}");
        assert!(!text.contains("Ada Lovelace"), "{text}");
        assert!(!text.to_lowercase().contains("email"), "{text}");
    }

    #[test]
    fn event_ids_are_stable_per_order_and_status() {
        let a = OrderCreated::from_order(&order());
        assert_eq!(a.event_id, order().order_id);
        assert_eq!(a, OrderCreated::from_order(&order()));
        let id = order().order_id;
        let at = order().created_at;
        let p =
            OrderStatusChanged::new(id, OrderStatus::Pending, OrderStatus::Processing, None, at)
                .unwrap();
        let c = OrderStatusChanged::new(id, OrderStatus::Pending, OrderStatus::Cancelled, None, at)
            .unwrap();
        assert_eq!(p.event_id, status_event_id(id, OrderStatus::Processing));
        assert_ne!(p.event_id, c.event_id);
        assert_eq!(p.event_id.get_version_num(), 5);
    }

    #[test]
    fn order_status_changed_wire_format() {
        let with_reason = serde_json::to_value(OrderEvent::from(changed(Some("card declined"))));
        let v = with_reason.unwrap();
        assert_eq!(v["eventType"], "OrderStatusChanged");
        assert_eq!(v["eventVersion"], 1);
        assert_eq!(v["previousStatus"], "PROCESSING");
        assert_eq!(v["status"], "FAILED");
        assert_eq!(v["reason"], "card declined");
        assert_eq!(v["changedAt"], "2026-11-22T02:01:35.000Z");

        let v = serde_json::to_value(OrderEvent::from(changed(None))).unwrap();
        assert!(v.get("reason").is_none());
        // An empty reason is dropped rather than sent.
        let v = serde_json::to_value(OrderEvent::from(changed(Some("")))).unwrap();
        assert!(v.get("reason").is_none());
    }

    #[test]
    fn status_changed_only_for_allowed_moves() {
        let t = order().created_at;
        let id = order().order_id;
        use OrderStatus::*;
        assert!(OrderStatusChanged::new(id, Pending, Processing, None, t).is_some());
        assert!(OrderStatusChanged::new(id, Pending, Completed, None, t).is_none());
        assert!(OrderStatusChanged::new(id, Completed, Failed, None, t).is_none());
    }

    #[test]
    fn round_trip_through_json() {
        for e in [
            OrderEvent::from(OrderCreated::from_order(&order())),
            OrderEvent::from(changed(Some("out of stock"))),
        ] {
            let text = e.to_json();
            assert_eq!(serde_json::from_str::<OrderEvent>(&text).unwrap(), e);
            assert_eq!(e.event_type(), text_field(&text, "eventType"));
            assert_eq!(e.order_id(), order().order_id);
            assert_eq!(e.event_id().to_string(), text_field(&text, "eventId"));
        }
    }

    fn text_field(text: &str, f: &str) -> String {
        serde_json::from_str::<Value>(text).unwrap()[f]
            .as_str()
            .unwrap()
            .to_string()
    }
}
