//! The dispatcher (the local pipes): every outbox row moves onto its queue
//! exactly once, in outbox order, also with two dispatchers on one file
//! (`OrderCreated` to the processing queue, `OrderStatusChanged` to the
//! notifications queue); the loop follows the store's outbox waker and stops
//! when told; an injected redelivery makes an `OrderCreated` exactly two
//! messages.

mod common;

use common::{create, TempDb};
use orders_core::events::OrderEvent;
use orders_core::model::OrderStatus;
use orders_core::ports::{OrderStatusUpdater, StatusChange};
use orders_local_aws::dispatcher::{self, Redelivery, Route};
use orders_local_aws::queue::{Queue, QueueConfig};
use orders_sqlite::SqliteStore;
use std::collections::HashSet;
use std::time::Duration;

/// The processing queue `orders` and the notifications queue of `s`.
fn route(s: &SqliteStore) -> Route {
    Route::new(
        Queue::new(s.clone(), QueueConfig::new("orders")).unwrap(),
        Queue::new(s.clone(), QueueConfig::new("notifications")).unwrap(),
    )
}

/// Now, to the millisecond (what events carry).
fn now_ms() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis()).unwrap()
}

/// Every message waiting on `q`, oldest first.
async fn drain(q: &Queue) -> Vec<orders_local_aws::queue::Message> {
    let mut got = Vec::new();
    loop {
        let batch = q
            .receive(10, Duration::ZERO, Duration::from_secs(30))
            .await
            .unwrap();
        if batch.is_empty() {
            return got;
        }
        got.extend(batch);
    }
}

#[tokio::test]
async fn dispatch_moves_each_row_once_into_the_queue() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let r = route(&s);
    let q = r.events.clone();
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
    assert_eq!(dispatcher::dispatch(&r, 5).await.unwrap(), 5);
    assert_eq!(dispatcher::dispatch(&r, 100).await.unwrap(), 7);
    assert_eq!(dispatcher::dispatch(&r, 100).await.unwrap(), 0);
    assert!(s.outbox_pending(100).await.unwrap().is_empty());
    assert!(drain(&r.notifications).await.is_empty());

    let got = drain(&q).await;
    // In outbox order; message id = event id; bodies are the events.
    assert_eq!(
        got.iter().map(|m| m.message_id.clone()).collect::<Vec<_>>(),
        events
    );
    let order_ids: Vec<String> = got
        .iter()
        .map(|m| {
            orders_validation::events::parse_event(&m.body)
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
    let ra = route(&a);
    let qa = ra.events.clone();
    let rb = route(&b);
    let run = |r: Route| {
        tokio::spawn(async move {
            let mut moved = 0;
            loop {
                match dispatcher::dispatch(&r, 3).await.unwrap() {
                    0 => return moved,
                    k => moved += k,
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let (ta, tb) = (run(ra), run(rb));
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
            let order_id = orders_validation::events::parse_event(&m.body)
                .unwrap()
                .order_id();
            assert!(seen.insert(order_id.to_string()), "duplicate {order_id}");
        }
    }
    assert_eq!(seen, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_store_move_each_row_once() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    dispatch_concurrently(s.clone(), s, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_two_connections_move_each_row_once() {
    // Two stores on one file: two writer connections, as two processes.
    let db = TempDb::new();
    let a = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let b = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    dispatch_concurrently(a, b, 40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_moves_what_this_process_and_another_write_then_stops() {
    let db = TempDb::new();
    let s = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let r = route(&s);
    let q = r.events.clone();
    let before = create(&s, false).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(dispatcher::run(r.clone(), stopped));

    // Written before the start, by this process (the waker), and by
    // another store on the file (found by polling).
    let here = create(&s, false).await;
    let here_id = here.order_id;
    let other = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
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
            let id = orders_validation::events::parse_event(&m.body)
                .unwrap()
                .order_id();
            assert!(want.remove(&id.to_string()), "unexpected or twice: {id}");
        }
    }
    assert!(s.outbox_pending(10).await.unwrap().is_empty());

    // A status move's event goes to the notifications queue, woken by the
    // move's commit.
    let change = StatusChange {
        order_id: here_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        detail: None,
        at: now_ms(),
    };
    s.transition(&change).await.unwrap();
    let got = r
        .notifications
        .receive(10, Duration::from_secs(5), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        orders_validation::events::parse_event(&got[0].body).unwrap(),
        OrderEvent::from(change.event().unwrap())
    );

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the loop stops")
        .unwrap();
}

#[tokio::test]
async fn each_event_type_goes_to_its_queue_in_outbox_order() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let r = route(&s);
    let a = create(&s, false).await;
    let b = create(&s, false).await;
    let at = now_ms();
    let moves = [
        (a.order_id, OrderStatus::Pending, OrderStatus::Processing),
        (b.order_id, OrderStatus::Pending, OrderStatus::Cancelled),
        (a.order_id, OrderStatus::Processing, OrderStatus::Completed),
    ];
    let mut status_events = Vec::new();
    for (order_id, from, to) in moves {
        let change = StatusChange {
            order_id,
            from,
            to,
            reason: None,
            detail: None,
            at,
        };
        s.transition(&change).await.unwrap();
        status_events.push(OrderEvent::from(change.event().unwrap()));
    }
    // A move that does not happen adds nothing.
    let stale = StatusChange {
        order_id: b.order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        detail: None,
        at,
    };
    s.transition(&stale).await.unwrap();
    assert_eq!(dispatcher::dispatch(&r, 100).await.unwrap(), 5);

    let created: Vec<_> = drain(&r.events)
        .await
        .iter()
        .map(|m| orders_validation::events::parse_event(&m.body).unwrap())
        .collect();
    assert_eq!(
        created.iter().map(|e| e.order_id()).collect::<Vec<_>>(),
        vec![a.order_id, b.order_id]
    );
    assert!(created.iter().all(|e| e.event_type() == "OrderCreated"));
    let notified = drain(&r.notifications).await;
    assert_eq!(
        notified
            .iter()
            .map(|m| orders_validation::events::parse_event(&m.body).unwrap())
            .collect::<Vec<_>>(),
        status_events
    );
    for (m, e) in notified.iter().zip(&status_events) {
        assert_eq!(m.message_id, e.event_id().to_string());
    }
}

#[tokio::test]
async fn a_redelivered_order_created_is_exactly_two_messages_and_a_status_event_one() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let r = route(&s).with_redelivery(Redelivery::new(|_| true));
    let order = create(&s, false).await;
    let change = StatusChange {
        order_id: order.order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        detail: None,
        at: now_ms(),
    };
    s.transition(&change).await.unwrap();
    let pending = s.outbox_pending(10).await.unwrap();
    assert_eq!(pending.len(), 2);
    let created_id = pending[0].event_id.clone();
    assert_eq!(pending[0].event_type, "OrderCreated");

    // Rows moved; the outbox is empty after, so a second dispatch (or a
    // second dispatcher) adds nothing.
    assert_eq!(dispatcher::dispatch(&r, 100).await.unwrap(), 2);
    assert_eq!(dispatcher::dispatch(&r, 100).await.unwrap(), 0);

    let events = drain(&r.events).await;
    let mut ids: Vec<&str> = events.iter().map(|m| m.message_id.as_str()).collect();
    ids.sort();
    let redelivery = dispatcher::redelivery_id(&created_id);
    assert_eq!(redelivery, format!("{created_id}~redelivery"));
    let mut want = vec![created_id.as_str(), redelivery.as_str()];
    want.sort();
    assert_eq!(ids, want);
    // The same event twice.
    assert_eq!(events[0].body, events[1].body);
    assert_eq!(
        orders_validation::events::parse_event(&events[0].body)
            .unwrap()
            .order_id(),
        order.order_id
    );

    let notified = drain(&r.notifications).await;
    assert_eq!(notified.len(), 1);
    assert_eq!(
        orders_validation::events::parse_event(&notified[0].body).unwrap(),
        OrderEvent::from(change.event().unwrap())
    );
}

#[tokio::test]
async fn redelivery_follows_its_decision_per_event_id() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(create(&s, false).await);
    }
    let pending = s.outbox_pending(10).await.unwrap();
    // Every other event, by id: what the decision says, not call order.
    let picked: HashSet<String> = pending
        .iter()
        .step_by(2)
        .map(|e| e.event_id.clone())
        .collect();
    let chosen = picked.clone();
    let r = route(&s).with_redelivery(Redelivery::new(move |id| chosen.contains(id)));
    // In two batches, as the loop may move them.
    assert_eq!(dispatcher::dispatch(&r, 4).await.unwrap(), 4);
    assert_eq!(dispatcher::dispatch(&r, 4).await.unwrap(), 2);
    let got: HashSet<String> = drain(&r.events)
        .await
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    let mut want: HashSet<String> = pending.iter().map(|e| e.event_id.clone()).collect();
    want.extend(picked.iter().map(|id| dispatcher::redelivery_id(id)));
    assert_eq!(got, want);
    assert_eq!(got.len(), 9);

    // Without a decision: one message per event, as always.
    let plain = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    create(&plain, false).await;
    let r = route(&plain);
    assert_eq!(dispatcher::dispatch(&r, 10).await.unwrap(), 1);
    assert_eq!(drain(&r.events).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_redelivering_dispatchers_still_make_two_messages_per_order_created() {
    let db = TempDb::new();
    let a = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let b = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let mut want = HashSet::new();
    for _ in 0..20 {
        create(&a, false).await;
    }
    for e in a.outbox_pending(100).await.unwrap() {
        want.insert(dispatcher::redelivery_id(&e.event_id));
        want.insert(e.event_id);
    }
    let run = |s: &SqliteStore| {
        let r = route(s).with_redelivery(Redelivery::new(|_| true));
        tokio::spawn(async move {
            while dispatcher::dispatch(&r, 3).await.unwrap() > 0 {
                tokio::task::yield_now().await;
            }
        })
    };
    let (ta, tb) = (run(&a), run(&b));
    ta.await.unwrap();
    tb.await.unwrap();
    let got: Vec<String> = drain(&route(&a).events)
        .await
        .into_iter()
        .map(|m| m.message_id)
        .collect();
    assert_eq!(got.len(), 40);
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
}
