//! The outbox: an `OrderCreated` row exists exactly when its order does, the
//! store wakes its outbox wakers after each commit that wrote one, and
//! `dispatch_outbox` hands each row over exactly once. (Moving rows onto a
//! queue is tested with the queue, in orders-local-aws.)

mod common;

use common::{now_secs, order, record, TempDb};
use orders_core::error::StoreError;
use orders_core::events::{OrderCreated, OrderEvent};
use orders_core::ports::{CreateOutcome, OrderReader, OrderWriter};
use orders_sqlite::{OutboxWaker, SqliteStore};
use orders_validation::events::validate_event;
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn outbox_order_ids(s: &SqliteStore) -> Vec<String> {
    s.outbox_pending(1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.order_id)
        .collect()
}

#[tokio::test]
async fn a_new_order_writes_one_valid_order_created() {
    let s = SqliteStore::in_memory().unwrap();
    let o = order();
    assert_eq!(
        s.create_order(&o, None).await.unwrap(),
        CreateOutcome::Created
    );
    let rows = s.outbox_pending(10).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.order_id, o.order_id.to_string());
    assert_eq!(row.event_type, "OrderCreated");
    let doc: serde_json::Value = serde_json::from_str(&row.body).unwrap();
    validate_event(&doc).unwrap();
    assert_eq!(doc["eventId"], row.event_id.as_str());
    assert_eq!(doc["total"], "3.10");
    assert_eq!(doc["itemCount"], 3);
    assert!(!row.body.contains("ada@example.com") && !row.body.contains("Ada"));
    match orders_validation::events::parse_event(&row.body).unwrap() {
        OrderEvent::OrderCreated(e) => assert_eq!(e.order_id, o.order_id),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn no_outbox_row_without_its_order() {
    let s = SqliteStore::in_memory().unwrap();
    let first = order();
    s.create_order(&first, None).await.unwrap();

    // The same id again: refused, nothing written.
    let err = s.create_order(&first, None).await.unwrap_err();
    assert!(matches!(err, StoreError::OrderExists(_)), "{err:?}");
    assert_eq!(outbox_order_ids(&s).await, vec![first.order_id.to_string()]);

    // A failing outbox insert rolls the order back with it: an outbox row
    // already holding the event id of `bad`'s OrderCreated (derived from the
    // order id) fails the insert after the order row was written.
    let bad = order();
    let taken = OrderEvent::from(OrderCreated::from_order(&bad)).event_id();
    take_event_id(&s, taken.to_string()).await;
    assert!(s.create_order(&bad, None).await.is_err());
    assert_eq!(s.get_order(bad.order_id).await.unwrap(), None);
    assert_eq!(
        outbox_order_ids(&s).await,
        vec![first.order_id.to_string(), "someone-else".to_string()]
    );
}

/// Puts an outbox row of someone else's holding `event_id`, so that the
/// next insert of that event id fails.
async fn take_event_id(s: &SqliteStore, event_id: String) {
    s.with_writer(move |c| {
        c.execute(
            "INSERT INTO event_outbox (event_id, event_type, order_id, body, created_at) \
             VALUES (?1, 'OrderCreated', 'someone-else', '{}', 0)",
            [event_id],
        )
    })
    .await
    .unwrap();
}

/// True when `waker` fires within a short while.
async fn woken(waker: &mut OutboxWaker) -> bool {
    tokio::time::timeout(Duration::from_millis(200), waker.written())
        .await
        .is_ok()
}

#[tokio::test]
async fn the_outbox_waker_fires_after_each_commit_that_wrote_an_event() {
    let s = SqliteStore::in_memory().unwrap();
    let mut waker = s.outbox_waker();
    let mut clone_waker = s.clone().outbox_waker();
    assert!(!woken(&mut waker).await, "nothing was written yet");

    let o = order();
    let rec = record("k1", &o, "h", now_secs() + 60);
    s.create_order(&o, Some(&rec)).await.unwrap();
    assert!(woken(&mut waker).await);
    // Every waker of the store (its clones' too) hears it, once.
    assert!(woken(&mut clone_waker).await);
    assert!(!woken(&mut waker).await);

    // Writes without an event wake nobody: a refused id, a replayed key.
    assert!(s.create_order(&o, None).await.is_err());
    let replay = order();
    let rec2 = record("k1", &replay, "h", now_secs() + 60);
    assert!(matches!(
        s.create_order(&replay, Some(&rec2)).await.unwrap(),
        CreateOutcome::KeyExists(_)
    ));
    assert!(!woken(&mut waker).await);

    // Commits while nobody waits are not lost: the next wait returns at once.
    s.create_order(&order(), None).await.unwrap();
    s.create_order(&order(), None).await.unwrap();
    assert!(woken(&mut waker).await);
    assert!(!woken(&mut waker).await);

    // A waker made after a commit waits for the next one.
    let mut late = s.outbox_waker();
    assert!(!woken(&mut late).await);
}

#[tokio::test]
async fn dispatch_outbox_hands_over_the_oldest_rows_once() {
    let s = SqliteStore::in_memory().unwrap();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let o = order();
        s.create_order(&o, None).await.unwrap();
        ids.push(o.order_id.to_string());
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let take = |max: usize| {
        let seen = seen.clone();
        let s = s.clone();
        async move {
            s.dispatch_outbox(max, move |_tx, rows| {
                seen.lock()
                    .unwrap()
                    .extend(rows.iter().map(|r| r.order_id.clone()));
                Ok(())
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(take(3).await, 3);
    assert_eq!(take(10).await, 2);
    assert_eq!(take(10).await, 0);
    assert_eq!(*seen.lock().unwrap(), ids);
    assert!(s.outbox_pending(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_delivery_leaves_the_outbox_as_it_was() {
    let s = SqliteStore::in_memory().unwrap();
    let o = order();
    s.create_order(&o, None).await.unwrap();
    s.with_writer(|c| c.execute_batch("CREATE TABLE delivered (event_id TEXT NOT NULL)"))
        .await
        .unwrap();
    // The delivery writes, then fails: its write rolls back with the rows'
    // deletion.
    let err = s
        .dispatch_outbox(10, |tx, rows| {
            tx.execute("INSERT INTO delivered VALUES (?1)", [&rows[0].event_id])?;
            Err(rusqlite::Error::InvalidQuery)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Other(_)), "{err:?}");
    assert_eq!(outbox_order_ids(&s).await, vec![o.order_id.to_string()]);
    let delivered: i64 = s
        .with_reader(|c| c.query_row("SELECT COUNT(*) FROM delivered", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(delivered, 0);
}

#[tokio::test]
async fn an_idempotent_replay_writes_no_event() {
    let s = SqliteStore::in_memory().unwrap();
    let o = order();
    let rec = record("k1", &o, "h", now_secs() + 60);
    assert_eq!(
        s.create_order(&o, Some(&rec)).await.unwrap(),
        CreateOutcome::Created
    );
    // The retry carries a new order id (as the use case makes one per call).
    let retry = order();
    let rec2 = record("k1", &retry, "h", now_secs() + 60);
    assert!(matches!(
        s.create_order(&retry, Some(&rec2)).await.unwrap(),
        CreateOutcome::KeyExists(_)
    ));
    assert_eq!(s.get_order(retry.order_id).await.unwrap(), None);
    assert_eq!(outbox_order_ids(&s).await, vec![o.order_id.to_string()]);

    // An expired record is replaced: that is a new order with its own event.
    // "Expired" is judged at the request's time (the order's createdAt).
    let late = order();
    let old = record("k2", &late, "h", late.created_at.timestamp());
    let s2 = s.clone();
    s2.create_order(&order(), Some(&old)).await.unwrap();
    let fresh = record("k2", &late, "h", now_secs() + 60);
    assert_eq!(
        s.create_order(&late, Some(&fresh)).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(outbox_order_ids(&s).await.len(), 3);
}

#[tokio::test]
async fn outbox_survives_reopen() {
    let db = TempDb::new();
    let o = order();
    {
        let s = SqliteStore::open(&db.path).unwrap();
        s.create_order(&o, None).await.unwrap();
    }
    let s = SqliteStore::open(&db.path).unwrap();
    assert_eq!(outbox_order_ids(&s).await, vec![o.order_id.to_string()]);
}

fn start(o: &orders_core::model::Order) -> orders_core::ports::StatusChange {
    orders_core::ports::StatusChange {
        order_id: o.order_id,
        from: orders_core::OrderStatus::Pending,
        to: orders_core::OrderStatus::Processing,
        reason: None,
        detail: None,
        at: chrono::DateTime::from_timestamp_millis(1_795_000_000_123).unwrap(),
    }
}

#[tokio::test]
async fn a_status_move_writes_its_event_in_its_transaction_and_wakes() {
    use orders_core::ports::OrderStatusUpdater;
    let s = SqliteStore::in_memory().unwrap();
    let o = order();
    s.create_order(&o, None).await.unwrap();
    let mut waker = s.outbox_waker();
    assert!(!woken(&mut waker).await);

    let change = start(&o);
    s.transition(&change).await.unwrap();
    assert!(woken(&mut waker).await);
    let rows = s.outbox_pending(10).await.unwrap();
    assert_eq!(rows.len(), 2);
    let row = &rows[1];
    assert_eq!(row.event_type, "OrderStatusChanged");
    assert_eq!(row.order_id, o.order_id.to_string());
    let doc: serde_json::Value = serde_json::from_str(&row.body).unwrap();
    validate_event(&doc).unwrap();
    assert_eq!(
        orders_validation::events::parse_event(&row.body).unwrap(),
        OrderEvent::from(change.event().unwrap())
    );
    assert!(!row.body.contains("ada@example.com"));

    // A move that does not happen writes and wakes nothing.
    s.transition(&change).await.unwrap();
    assert!(!woken(&mut waker).await);
    assert_eq!(s.outbox_pending(10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn no_status_without_its_event() {
    use orders_core::ports::OrderStatusUpdater;
    let s = SqliteStore::in_memory().unwrap();
    let o = order();
    s.create_order(&o, None).await.unwrap();
    // An outbox row already holding the move's event id fails the event's
    // insert after the order row was rewritten: the move rolls back.
    let change = start(&o);
    take_event_id(&s, change.event().unwrap().event_id.to_string()).await;
    assert!(s.transition(&change).await.is_err());
    assert_eq!(
        s.get_order(o.order_id).await.unwrap().unwrap().status,
        orders_core::OrderStatus::Pending
    );
}
