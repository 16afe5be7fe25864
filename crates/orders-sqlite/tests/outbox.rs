//! The outbox: an `OrderCreated` row exists exactly when its order does, and
//! the dispatcher moves each row into the queue exactly once.

mod common;

use common::{now_secs, order, order_for, record, TempDb};
use orders_core::error::StoreError;
use orders_core::events::{validate_event, OrderEvent};
use orders_core::ports::{CreateOutcome, OrderReader, OrderWriter};
use orders_sqlite::outbox;
use orders_sqlite::queue::{Queue, QueueConfig};
use orders_sqlite::SqliteStore;
use std::collections::HashSet;
use std::sync::Arc;
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
    match OrderEvent::from_json(&row.body).unwrap() {
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

    // A hook failure rolls back the order and its outbox row together.
    s.set_create_hook(Arc::new(|_, o| {
        if o.customer_id == "fail" {
            Err(rusqlite::Error::InvalidQuery)
        } else {
            Ok(())
        }
    }));
    let bad = order_for("fail");
    assert!(s.create_order(&bad, None).await.is_err());
    assert_eq!(s.get_order(bad.order_id).await.unwrap(), None);
    assert_eq!(outbox_order_ids(&s).await, vec![first.order_id.to_string()]);

    // With a hook set, the outbox row is still written.
    let second = order();
    s.create_order(&second, None).await.unwrap();
    assert_eq!(
        outbox_order_ids(&s).await,
        vec![first.order_id.to_string(), second.order_id.to_string()]
    );
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
    let late = order();
    let old = record("k2", &late, "h", now_secs() - 1);
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
async fn dispatch_moves_each_row_once_into_the_queue() {
    let s = SqliteStore::in_memory().unwrap();
    let q = Queue::new(s.clone(), QueueConfig::new("orders")).unwrap();
    let mut ids = Vec::new();
    for _ in 0..12 {
        let o = order();
        s.create_order(&o, None).await.unwrap();
        ids.push(o.order_id.to_string());
    }
    let events: Vec<String> = s
        .outbox_pending(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(outbox::dispatch(&q, 5).await.unwrap(), 5);
    assert_eq!(outbox::dispatch(&q, 100).await.unwrap(), 7);
    assert_eq!(outbox::dispatch(&q, 100).await.unwrap(), 0);
    assert!(s.outbox_pending(100).await.unwrap().is_empty());

    let mut got = Vec::new();
    loop {
        let batch = q
            .receive(10, Duration::ZERO, Duration::from_secs(30))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        got.extend(batch);
    }
    // In outbox order; message id = event id; bodies are the events.
    assert_eq!(
        got.iter().map(|m| m.message_id.clone()).collect::<Vec<_>>(),
        events
    );
    let order_ids: Vec<String> = got
        .iter()
        .map(|m| {
            OrderEvent::from_json(&m.body)
                .unwrap()
                .order_id()
                .to_string()
        })
        .collect();
    assert_eq!(order_ids, ids);
}

async fn dispatch_concurrently(a: SqliteStore, b: SqliteStore, n: usize) {
    let mut ids = HashSet::new();
    for _ in 0..n {
        let o = order();
        a.create_order(&o, None).await.unwrap();
        ids.insert(o.order_id.to_string());
    }
    let qa = Queue::new(a.clone(), QueueConfig::new("orders")).unwrap();
    let qb = Queue::new(b.clone(), QueueConfig::new("orders")).unwrap();
    let run = |q: Queue| {
        tokio::spawn(async move {
            let mut moved = 0;
            loop {
                match outbox::dispatch(&q, 3).await.unwrap() {
                    0 => return moved,
                    k => moved += k,
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let (ta, tb) = (run(qa.clone()), run(qb));
    let total = ta.await.unwrap() + tb.await.unwrap();
    assert_eq!(total, n);
    assert!(a.outbox_pending(10).await.unwrap().is_empty());

    let mut seen = HashSet::new();
    loop {
        let batch = qa
            .receive(10, Duration::ZERO, Duration::from_secs(30))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        for m in batch {
            let order_id = OrderEvent::from_json(&m.body).unwrap().order_id();
            assert!(seen.insert(order_id.to_string()), "duplicate {order_id}");
        }
    }
    assert_eq!(seen, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_store_move_each_row_once() {
    let s = SqliteStore::in_memory().unwrap();
    dispatch_concurrently(s.clone(), s, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_two_connections_move_each_row_once() {
    // Two stores on one file: two writer connections, as two processes.
    let db = TempDb::new();
    let a = SqliteStore::open(&db.path).unwrap();
    let b = SqliteStore::open(&db.path).unwrap();
    dispatch_concurrently(a, b, 40).await;
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
