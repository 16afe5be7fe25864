//! The cancel-order handler on API Gateway REST proxy events
//! (tests/fixtures/cancel-order.json), against the embedded store; the
//! CANCELLED event is the move's own outbox row.

use cancel_order::handler::handle;
use orders_core::events::status_event_id;
use orders_core::model::OrderStatus;
use orders_core::ports::{StatusChange, TransitionOutcome};
use orders_core::{OrderReader, OrderStatusUpdater};
use orders_test_support::events::{fixture, request, with_order_id, Answer};
use orders_test_support::World;
use serde_json::Value;
use uuid::Uuid;

async fn order(w: &World) -> Uuid {
    w.create(r#"{"customerId":"c-1","customerEmail":"a@b.example","items":[{"sku":"A","quantity":1,"price":"3.00"}]}"#)
        .await
        .order_id
}

async fn call(w: &World, id: &str) -> (u16, Value) {
    let v = fixture(env!("CARGO_MANIFEST_DIR"), "cancel-order.json");
    let v = with_order_id(v, id, &format!("/orders/{id}/cancel"));
    let a = Answer::of(handle(&w.store, request(v)).await.unwrap());
    (a.status, a.body)
}

#[tokio::test]
async fn cancels_a_pending_order_and_its_write_is_the_event() {
    let w = World::new();
    let id = order(&w).await;
    let (status, body) = call(&w, &id.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["orderId"], id.to_string());
    assert_eq!(body["status"], "CANCELLED");
    assert!(
        body.get("customerEmail").is_none(),
        "email is never returned"
    );
    let stored = w.store.get_order(id).await.unwrap().unwrap();
    assert_eq!(stored.status, OrderStatus::Cancelled);

    let published = w.status_events().await;
    assert_eq!(published.len(), 1);
    let e = &published[0];
    assert_eq!(
        (e.order_id, e.previous_status, e.status),
        (id, OrderStatus::Pending, OrderStatus::Cancelled)
    );
    assert_eq!(e.event_id, status_event_id(id, OrderStatus::Cancelled));
}

#[tokio::test]
async fn a_second_cancel_is_409_and_writes_no_event() {
    let w = World::new();
    let id = order(&w).await;
    assert_eq!(call(&w, &id.to_string()).await.0, 200);
    let (status, body) = call(&w, &id.to_string()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "INVALID_STATUS_TRANSITION");
    assert_eq!(body["error"]["details"][0]["field"], "status");
    assert_eq!(w.status_events().await.len(), 1, "only the first cancel's");
}

#[tokio::test]
async fn a_processing_order_cannot_be_cancelled() {
    let w = World::new();
    let id = order(&w).await;
    let moved = w
        .store
        .transition(&StatusChange {
            order_id: id,
            from: OrderStatus::Pending,
            to: OrderStatus::Processing,
            reason: None,
            detail: None,
            at: w.now(),
        })
        .await
        .unwrap();
    assert!(matches!(moved, TransitionOutcome::Moved(_)));
    let (status, body) = call(&w, &id.to_string()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        w.store.get_order(id).await.unwrap().unwrap().status,
        OrderStatus::Processing
    );
    let events = w.status_events().await;
    assert_eq!(events.len(), 1, "only the PROCESSING move's: {events:?}");
    assert_eq!(events[0].status, OrderStatus::Processing);
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let w = World::new();
    let (status, body) = call(&w, &Uuid::now_v7().to_string()).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    let (status, body) = call(&w, "not-a-uuid").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "orderId");
    assert!(w.status_events().await.is_empty());
}

#[tokio::test]
async fn concurrent_cancels_cancel_once() {
    let w = World::new();
    let id = order(&w).await;
    let ids: Vec<String> = (0..6).map(|_| id.to_string()).collect();
    let results = futures::future::join_all(ids.iter().map(|i| call(&w, i))).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let conflicts = results.iter().filter(|(s, _)| *s == 409).count();
    assert_eq!((ok, conflicts), (1, 5), "{results:?}");
    assert_eq!(w.status_events().await.len(), 1);
}
