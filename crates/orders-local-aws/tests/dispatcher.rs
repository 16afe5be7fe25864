//! The dispatcher (the local pipe): every outbox row moves onto the queue
//! exactly once, in outbox order, also with two dispatchers on one file; the
//! loop follows the store's outbox waker and stops when told.

mod common;

use common::{create, TempDb};
use orders_core::events::OrderEvent;
use orders_local_aws::dispatcher;
use orders_local_aws::queue::{Queue, QueueConfig};
use orders_sqlite::SqliteStore;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test]
async fn dispatch_moves_each_row_once_into_the_queue() {
    let s = SqliteStore::in_memory().unwrap();
    let q = Queue::new(s.clone(), QueueConfig::new("orders")).unwrap();
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(create(&s, false).await.order_id.to_string());
    }
    let events: Vec<String> = s
        .outbox_pending(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(dispatcher::dispatch(&q, 5).await.unwrap(), 5);
    assert_eq!(dispatcher::dispatch(&q, 100).await.unwrap(), 7);
    assert_eq!(dispatcher::dispatch(&q, 100).await.unwrap(), 0);
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
        ids.insert(create(&a, false).await.order_id.to_string());
    }
    let qa = Queue::new(a.clone(), QueueConfig::new("orders")).unwrap();
    let qb = Queue::new(b.clone(), QueueConfig::new("orders")).unwrap();
    let run = |q: Queue| {
        tokio::spawn(async move {
            let mut moved = 0;
            loop {
                match dispatcher::dispatch(&q, 3).await.unwrap() {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_moves_what_this_process_and_another_write_then_stops() {
    let db = TempDb::new();
    let s = SqliteStore::open(&db.path).unwrap();
    let q = Queue::new(s.clone(), QueueConfig::new("orders")).unwrap();
    let before = create(&s, false).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(dispatcher::run(q.clone(), stopped));

    // Written before the start, by this process (the waker), and by
    // another store on the file (found by polling).
    let here = create(&s, false).await;
    let other = SqliteStore::open(&db.path).unwrap();
    let there = create(&other, false).await;
    let mut want: HashSet<String> = [before, here, there]
        .iter()
        .map(|o| o.order_id.to_string())
        .collect();
    while !want.is_empty() {
        let batch = q
            .receive(10, Duration::from_secs(5), Duration::from_secs(30))
            .await
            .unwrap();
        assert!(!batch.is_empty(), "still waiting for {want:?}");
        for m in batch {
            let id = OrderEvent::from_json(&m.body).unwrap().order_id();
            assert!(want.remove(&id.to_string()), "unexpected or twice: {id}");
        }
    }
    assert!(s.outbox_pending(10).await.unwrap().is_empty());

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the loop stops")
        .unwrap();
}
