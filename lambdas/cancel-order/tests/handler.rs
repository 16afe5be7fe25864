//! The cancel-order handler on API Gateway REST proxy events
//! (tests/fixtures/cancel-order.json), against the embedded store and a
//! queue standing in for the notifications topic.

use cancel_order::handler::handle;
use lambda_http::request::LambdaRequest;
use lambda_http::Body;
use orders_core::events::{status_event_id, OrderEvent};
use orders_core::model::OrderStatus;
use orders_core::ports::{StatusChange, TransitionOutcome};
use orders_core::service::create_order;
use orders_core::{OrderReader, OrderStatusUpdater};
use orders_local_aws::publisher::QueuePublisher;
use orders_sqlite::SqliteStore;
use serde_json::{json, Value};
use uuid::Uuid;

struct World {
    store: SqliteStore,
    publisher: QueuePublisher,
}

impl World {
    fn new() -> Self {
        let store = SqliteStore::in_memory().unwrap();
        Self {
            publisher: QueuePublisher::on(&store, "notifications").unwrap(),
            store,
        }
    }

    async fn order(&self) -> Uuid {
        create_order(
            &self.store,
            br#"{"customerId":"c-1","customerEmail":"a@b.example","items":[{"sku":"A","quantity":1,"price":"3.00"}]}"#,
            None,
        )
        .await
        .unwrap()
        .order_id
    }

    async fn call(&self, id: &str) -> (u16, Value) {
        let fixture: Value =
            serde_json::from_str(include_str!("fixtures/cancel-order.json")).unwrap();
        let mut v = fixture;
        v["pathParameters"] = json!({ "orderId": id });
        v["path"] = json!(format!("/orders/{id}/cancel"));
        let req: LambdaRequest = serde_json::from_value(v).unwrap();
        let resp = handle(&self.store, &self.publisher, req.into())
            .await
            .unwrap();
        assert_eq!(resp.headers()["content-type"], "application/json");
        let Body::Text(t) = resp.body() else {
            panic!("text body")
        };
        (resp.status().as_u16(), serde_json::from_str(t).unwrap())
    }

    /// The status changes published so far (drains the queue).
    async fn published(&self) -> Vec<OrderEvent> {
        self.publisher.take_published().await.unwrap()
    }
}

#[tokio::test]
async fn cancels_a_pending_order_and_publishes_the_change() {
    let w = World::new();
    let id = w.order().await;
    let (status, body) = w.call(&id.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orderId"], id.to_string());
    assert_eq!(body["status"], "CANCELLED");
    assert!(
        body.get("customerEmail").is_none(),
        "email is never returned"
    );
    let stored = w.store.get_order(id).await.unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Cancelled);

    let published = w.published().await;
    assert_eq!(published.len(), 1);
    let OrderEvent::OrderStatusChanged(e) = &published[0] else {
        panic!("{published:?}")
    };
    assert_eq!(
        (e.order_id, e.previous_status, e.status),
        (id, OrderStatus::Pending, OrderStatus::Cancelled)
    );
    assert_eq!(e.event_id, status_event_id(id, OrderStatus::Cancelled));
}

#[tokio::test]
async fn a_second_cancel_is_409_and_publishes_nothing() {
    let w = World::new();
    let id = w.order().await;
    assert_eq!(w.call(&id.to_string()).await.0, 200);
    w.published().await;
    let (status, body) = w.call(&id.to_string()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_STATUS_TRANSITION");
    assert_eq!(body["error"]["details"][0]["field"], "status");
    assert!(w.published().await.is_empty());
}

#[tokio::test]
async fn a_processing_order_cannot_be_cancelled() {
    let w = World::new();
    let id = w.order().await;
    let moved = w
        .store
        .transition(&StatusChange {
            order_id: id,
            from: OrderStatus::Pending,
            to: OrderStatus::Processing,
            reason: None,
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    assert!(matches!(moved, TransitionOutcome::Moved(_)));
    let (status, body) = w.call(&id.to_string()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        w.store.get_order(id).await.unwrap().unwrap().status,
        OrderStatus::Processing
    );
    assert!(w.published().await.is_empty());
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let w = World::new();
    let (status, body) = w.call(&Uuid::now_v7().to_string()).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let (status, body) = w.call("not-a-uuid").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "orderId");
    assert!(w.published().await.is_empty());
}

#[tokio::test]
async fn concurrent_cancels_cancel_once() {
    let w = World::new();
    let id = w.order().await;
    let ids: Vec<String> = (0..6).map(|_| id.to_string()).collect();
    let results = futures::future::join_all(ids.iter().map(|i| w.call(i))).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let conflicts = results.iter().filter(|(s, _)| *s == 409).count();
    assert_eq!((ok, conflicts), (1, 5), "{results:?}");
    assert_eq!(w.published().await.len(), 1);
}
