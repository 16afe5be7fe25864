//! Status events from the write: what each backend shows of the
//! `OrderStatusChanged` events its status moves wrote, and the cases.
//!
//! - SQLite: the outbox rows of the order (each move inserts one in its
//!   transaction; nothing dispatches them in the suite).
//! - DynamoDB: the order item's `statusEvent`, which the move's `UpdateItem`
//!   sets, so the stream's MODIFY record of that write carries it. Only the
//!   latest is on the item; the stream holds one record per write.
//!
//! So a case compares what a backend shows before and after a call: a move
//! must add exactly its event, anything else must add none.

use async_trait::async_trait;
use orders_dynamodb::{order_key, DynamoStore};
use orders_sqlite::SqliteStore;
use serde_json::Value;
use uuid::Uuid;

/// The status event documents a backend holds for an order.
#[async_trait]
pub trait StatusEventLog {
    async fn status_events(&self, order_id: Uuid) -> Vec<Value>;
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("a status event is not JSON: {e}: {text}"))
}

#[async_trait]
impl StatusEventLog for SqliteStore {
    async fn status_events(&self, order_id: Uuid) -> Vec<Value> {
        self.outbox_pending(100_000)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|e| e.event_type == "OrderStatusChanged" && e.order_id == order_id.to_string())
            .map(|e| parse(&e.body))
            .collect()
    }
}

#[async_trait]
impl StatusEventLog for DynamoStore {
    async fn status_events(&self, order_id: Uuid) -> Vec<Value> {
        let item = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(order_key(order_id)))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem")
            .item;
        match item.as_ref().and_then(|i| i.get("statusEvent")) {
            None => Vec::new(),
            Some(v) => vec![parse(v.as_s().expect("statusEvent is a string"))],
        }
    }
}

pub mod cases {
    use crate::cases::{change, moved, pending_full_order};
    use crate::fixtures::*;
    use crate::Store;
    use orders_core::events::{OrderEvent, OrderStatusChanged};
    use orders_core::model::OrderStatus;
    use orders_core::ports::{StatusChange, TransitionOutcome};
    use orders_validation::events::validate_event;
    use serde_json::Value;

    /// The events `store` shows for the order now and did not before.
    fn added(before: &[Value], after: Vec<Value>) -> Vec<Value> {
        after.into_iter().filter(|e| !before.contains(e)).collect()
    }

    fn expected(c: &StatusChange) -> Value {
        let event = OrderStatusChanged::new(c.order_id, c.from, c.to, c.reason.clone(), c.at)
            .expect("an allowed move");
        serde_json::from_str(&OrderEvent::from(event).to_json()).unwrap()
    }

    async fn moves_once_with_its_event<S: Store>(store: &S, c: &StatusChange) {
        let before = store.status_events(c.order_id).await;
        assert!(matches!(
            store.transition(c).await.unwrap(),
            TransitionOutcome::Moved(_)
        ));
        let new = added(&before, store.status_events(c.order_id).await);
        assert_eq!(new.len(), 1, "one event per move: {new:?}");
        validate_event(&new[0]).unwrap_or_else(|e| panic!("{e:?}: {}", new[0]));
        assert_eq!(new[0], expected(c));
    }

    /// Each move writes exactly one `OrderStatusChanged`, valid against its
    /// schema, naming the move (and its reason); the order keeps the reason
    /// and detail.
    pub async fn transition_writes_one_valid_event<S: Store>(store: S) {
        let o = pending_full_order(0);
        store.create_order(&o, None).await.unwrap();
        assert!(store.status_events(o.order_id).await.is_empty());
        let start = change(&o, OrderStatus::Pending, OrderStatus::Processing, 1_000);
        moves_once_with_its_event(&store, &start).await;
        let mut fail = change(&o, OrderStatus::Processing, OrderStatus::Failed, 2_000);
        fail.reason = Some("OUT_OF_STOCK".into());
        fail.detail = Some("out of stock: SKU-A".into());
        moves_once_with_its_event(&store, &fail).await;
        let want = moved(&moved(&o, &start), &fail);
        assert_eq!(store.get_order(o.order_id).await.unwrap(), Some(want));
        let events = store.status_events(o.order_id).await;
        let last = events.last().expect("an event");
        assert_eq!(last["status"], "FAILED");
        assert_eq!(last["previousStatus"], "PROCESSING");
        assert_eq!(last["reason"], "OUT_OF_STOCK");
        // No customer data in the event.
        assert!(!last.to_string().contains("zoe@") && !last.to_string().contains("+4477"));
    }

    /// A transition that does not move writes no event: a redelivered move,
    /// a move from another status, an unknown order, and a move the
    /// lifecycle forbids (refused with an error, the order untouched).
    pub async fn unchanged_transition_writes_no_event<S: Store>(store: S) {
        let o = pending_full_order(0);
        store.create_order(&o, None).await.unwrap();
        let start = change(&o, OrderStatus::Pending, OrderStatus::Processing, 1_000);
        store.transition(&start).await.unwrap();
        let processing = moved(&o, &start);
        let before = store.status_events(o.order_id).await;
        assert_eq!(before.len(), 1);

        let again = change(&o, OrderStatus::Pending, OrderStatus::Processing, 5_000);
        let cancel = change(&o, OrderStatus::Pending, OrderStatus::Cancelled, 6_000);
        for c in [&again, &cancel] {
            assert_eq!(
                store.transition(c).await.unwrap(),
                TransitionOutcome::Unchanged(processing.clone())
            );
        }
        let backwards = change(&o, OrderStatus::Processing, OrderStatus::Pending, 7_000);
        assert!(store.transition(&backwards).await.is_err());
        let ghost = order(id_at(at_ms(9)), at_ms(9), OrderStatus::Pending);
        let unknown = change(&ghost, OrderStatus::Pending, OrderStatus::Processing, 8_000);
        assert_eq!(
            store.transition(&unknown).await.unwrap(),
            TransitionOutcome::NotFound
        );
        assert_eq!(store.status_events(o.order_id).await, before);
        assert!(store.status_events(ghost.order_id).await.is_empty());
        assert_eq!(store.get_order(o.order_id).await.unwrap(), Some(processing));
        assert_eq!(store.get_order(ghost.order_id).await.unwrap(), None);
    }
}
