//! The processor handler on SQS events shaped as Lambda delivers them
//! (tests/fixtures/sqs-event.json), against the embedded store and the
//! saga starter of the local executor: partial batch failures, replays,
//! cancelled orders and concurrent deliveries of one event. The PROCESSING
//! event is the move's own (its outbox row), not a publish.

use aws_lambda_events::event::sqs::SqsEvent;
use orders_core::events::{status_event_id, OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_core::OrderReader;
use orders_test_support::events::{self, fixture};
use orders_test_support::World;
use process_orders::handler::handle;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A new PENDING order; its `OrderCreated` as the outbox holds it.
async fn order(w: &World, customer: &str) -> (Uuid, String) {
    let body = format!(
        r#"{{"customerId":"{customer}","customerEmail":"{customer}@example.com","items":[{{"sku":"A","quantity":2,"price":"4.25"}}]}}"#
    );
    let id = w.create(&body).await.order_id;
    (id, w.created_event(id).await)
}

/// An SQS event with one record per body; message ids `m-0`, `m-1`, ...
fn sqs_event(bodies: &[&str]) -> SqsEvent {
    events::sqs_event(
        &fixture(env!("CARGO_MANIFEST_DIR"), "sqs-event.json"),
        bodies,
    )
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> BTreeSet<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn a_batch_moves_every_order_once_and_starts_each_saga() {
    let w = World::new();
    let mut ids = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..10 {
        let (id, body) = order(&w, &format!("c-{i}")).await;
        ids.push(id);
        bodies.push(body);
    }
    let event = sqs_event(&bodies.iter().map(String::as_str).collect::<Vec<_>>());
    let response = handle(&w.store, &w.starter, event).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    for id in &ids {
        assert_eq!(w.status(*id).await, OrderStatus::Processing);
    }
    // The batch runs concurrently: one saga per order, in any order.
    let mut started = w.sagas_started().await;
    started.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(started, want);
    let published = w.status_events().await;
    assert_eq!(published.len(), ids.len());
    for e in &published {
        assert!(ids.contains(&e.order_id));
        assert_eq!(e.previous_status, OrderStatus::Pending);
        assert_eq!(e.status, OrderStatus::Processing);
        assert_eq!(
            e.event_id,
            status_event_id(e.order_id, OrderStatus::Processing)
        );
    }
}

#[tokio::test]
async fn only_the_bad_messages_of_a_batch_fail() {
    let w = World::new();
    let (good_a, body_a) = order(&w, "c-a").await;
    let (good_b, body_b) = order(&w, "c-b").await;
    // An event for an order that does not exist (valid against the schema).
    let unknown = body_a.replace(&good_a.to_string(), &Uuid::now_v7().to_string());
    assert_ne!(unknown, body_a);
    // Valid JSON that breaks the OrderCreated schema.
    let mut invalid: Value = serde_json::from_str(&body_b).unwrap();
    invalid["total"] = json!("not money");
    let invalid = invalid.to_string();
    // A well-formed event of a type the processor does not take.
    let wrong_type = OrderEvent::from(
        OrderStatusChanged::new(
            good_a,
            OrderStatus::Pending,
            OrderStatus::Cancelled,
            None,
            w.now(),
        )
        .unwrap(),
    )
    .to_json();
    let bodies = [
        body_a.as_str(),     // m-0 ok
        "not json at all",   // m-1
        unknown.as_str(),    // m-2
        invalid.as_str(),    // m-3
        wrong_type.as_str(), // m-4
        body_b.as_str(),     // m-5 ok
    ];
    let response = handle(&w.store, &w.starter, sqs_event(&bodies)).await;
    let want: BTreeSet<String> = ["m-1", "m-2", "m-3", "m-4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(failed_ids(&response), want);
    assert_eq!(w.status(good_a).await, OrderStatus::Processing);
    assert_eq!(w.status(good_b).await, OrderStatus::Processing);
    let published: BTreeSet<Uuid> = w.status_events().await.iter().map(|e| e.order_id).collect();
    assert_eq!(published, BTreeSet::from([good_a, good_b]));
    let started: BTreeSet<Uuid> = w.sagas_started().await.into_iter().collect();
    assert_eq!(started, BTreeSet::from([good_a, good_b]));
}

#[tokio::test]
async fn a_replayed_event_changes_nothing_and_starts_nothing_twice() {
    let w = World::new();
    let (id, body) = order(&w, "c-1").await;
    let first = handle(&w.store, &w.starter, sqs_event(&[&body])).await;
    assert!(first.batch_item_failures.is_empty());
    let before = w.store.get_order(id).await.unwrap().unwrap();
    let first_published = w.status_events().await;
    assert_eq!(first_published.len(), 1);

    // The same message again (a redelivery after a crash before delete),
    // and twice in one batch.
    let again = handle(&w.store, &w.starter, sqs_event(&[&body, &body])).await;
    assert!(again.batch_item_failures.is_empty(), "{again:?}");
    let after = w.store.get_order(id).await.unwrap().unwrap();
    assert_eq!(after, before, "a replay does not touch the order");
    assert_eq!(w.status_events().await, first_published, "no second event");
    // The replays repeated the start (in case the first delivery died
    // between the move and the start); the execution is still one.
    assert_eq!(w.sagas_started().await, vec![id]);
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_move_the_order_once() {
    let w = World::new();
    let (id, body) = order(&w, "c-1").await;
    let (a, b) = tokio::join!(
        handle(&w.store, &w.starter, sqs_event(&[&body])),
        handle(&w.store, &w.starter, sqs_event(&[&body])),
    );
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty());
    assert_eq!(w.status(id).await, OrderStatus::Processing);
    // One delivery moved it (one event); both started the saga, once.
    assert_eq!(w.status_events().await.len(), 1);
    assert_eq!(w.sagas_started().await, vec![id]);
}

#[tokio::test]
async fn a_cancelled_order_is_skipped_and_its_message_succeeds() {
    let w = World::new();
    let (id, body) = order(&w, "c-1").await;
    orders_core::usecases::cancel_order(&w.store, &id.to_string(), w.now())
        .await
        .unwrap();
    let cancel_events = w.status_events().await;
    assert_eq!(cancel_events.len(), 1);
    assert_eq!(cancel_events[0].status, OrderStatus::Cancelled);

    let response = handle(&w.store, &w.starter, sqs_event(&[&body])).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(w.status(id).await, OrderStatus::Cancelled);
    assert_eq!(
        w.status_events().await,
        cancel_events,
        "no event for a skip"
    );
    assert!(
        w.sagas_started().await.is_empty(),
        "no saga for a cancelled order"
    );
}

#[tokio::test]
async fn a_record_without_a_body_fails_alone() {
    let w = World::new();
    let (id, body) = order(&w, "c-1").await;
    let mut event = sqs_event(&[&body, "placeholder"]);
    event.records[1].body = None;
    let response = handle(&w.store, &w.starter, event).await;
    assert_eq!(failed_ids(&response), BTreeSet::from(["m-1".to_string()]));
    assert_eq!(w.status(id).await, OrderStatus::Processing);
}
