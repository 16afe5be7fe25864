//! The embedded queue: SQS semantics on SQLite.

mod common;

use common::TempDb;
use orders_local_aws::queue::{Queue, QueueConfig, QueueStats, Redrive, RedriveOutcome, MAX_BATCH};
use orders_sqlite::SqliteStore;
use std::time::{Duration, Instant};

const SHORT: Duration = Duration::from_millis(40);
const LONG: Duration = Duration::from_secs(60);

fn queue(s: &SqliteStore) -> Queue {
    Queue::new(s.clone(), QueueConfig::new("orders")).unwrap()
}

async fn receive_now(
    q: &Queue,
    max: usize,
    visibility: Duration,
) -> Vec<orders_local_aws::queue::Message> {
    q.receive(max, Duration::ZERO, visibility).await.unwrap()
}

/// Receives with a long poll until a message comes (bounded generously).
async fn receive_one(q: &Queue, visibility: Duration) -> orders_local_aws::queue::Message {
    let mut got = q
        .receive(1, Duration::from_secs(5), visibility)
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "no message within the long poll");
    got.remove(0)
}

#[tokio::test]
async fn send_receive_delete() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    let id = q.send("hello").await.unwrap();
    let m = receive_one(&q, LONG).await;
    assert_eq!(
        (m.message_id.as_str(), m.body.as_str(), m.receive_count),
        (id.as_str(), "hello", 1)
    );
    assert!(m.first_received_at_ms >= m.sent_at_ms);
    // In flight: invisible to others.
    assert!(receive_now(&q, 10, LONG).await.is_empty());
    assert_eq!(
        q.stats().await.unwrap(),
        QueueStats {
            visible: 0,
            in_flight: 1,
            dead_letters: 0
        }
    );
    assert!(q.delete(&m.receipt_handle).await.unwrap());
    assert!(!q.delete(&m.receipt_handle).await.unwrap());
    assert_eq!(q.stats().await.unwrap(), QueueStats::default());
}

#[tokio::test]
async fn delete_batch_deletes_current_receipts_and_skips_stale_ones() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    for i in 0..4 {
        q.send(format!("m{i}")).await.unwrap();
    }
    let batch = receive_now(&q, 4, SHORT).await;
    assert_eq!(batch.len(), 4);
    // The last one times out and is received again: its first receipt is stale.
    tokio::time::sleep(SHORT * 2).await;
    let again = receive_now(&q, 4, LONG).await;
    assert_eq!(again.len(), 4, "all four came back");
    let mut receipts: Vec<&str> = again[..3]
        .iter()
        .map(|m| m.receipt_handle.as_str())
        .collect();
    receipts.push(&batch[3].receipt_handle);
    assert_eq!(q.delete_batch(&receipts).await.unwrap(), 3);
    assert_eq!(q.delete_batch(&[]).await.unwrap(), 0);
    let stats = q.stats().await.unwrap();
    assert_eq!((stats.visible, stats.in_flight), (0, 1), "{stats:?}");
    assert!(q.delete(&again[3].receipt_handle).await.unwrap());
}

#[tokio::test]
async fn a_receive_dead_letters_past_more_than_a_batch_of_exhausted_messages() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = Queue::new(s.clone(), QueueConfig::new("orders").with_max_receives(1)).unwrap();
    for i in 0..25 {
        q.send(format!("poison-{i}")).await.unwrap();
    }
    let mut received = 0;
    while received < 25 {
        received += receive_now(&q, MAX_BATCH, SHORT).await.len();
    }
    tokio::time::sleep(SHORT * 2).await;
    q.send("fresh").await.unwrap();
    let got = receive_now(&q, MAX_BATCH, LONG).await;
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["fresh"]);
    let stats = q.stats().await.unwrap();
    assert_eq!(stats.dead_letters, 25, "{stats:?}");
    assert_eq!((stats.visible, stats.in_flight), (0, 1), "{stats:?}");
}

#[tokio::test]
async fn queues_are_separate() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let a = queue(&s);
    let b = Queue::new(s.clone(), QueueConfig::new("other")).unwrap();
    a.send("for a").await.unwrap();
    assert!(receive_now(&b, 10, LONG).await.is_empty());
    let m = receive_now(&a, 10, LONG).await;
    assert_eq!(m.len(), 1);
    // A receipt of one queue means nothing to another.
    assert!(!b.delete(&m[0].receipt_handle).await.unwrap());
}

#[tokio::test]
async fn visibility_timeout_redelivers_with_a_higher_receive_count() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    q.send("m").await.unwrap();
    let first = receive_one(&q, SHORT).await;
    assert_eq!(first.receive_count, 1);
    // Reappears after the timeout; the long poll waits for it.
    let second = receive_one(&q, LONG).await;
    assert_eq!(second.message_id, first.message_id);
    assert_eq!(second.receive_count, 2);
    assert_eq!(second.first_received_at_ms, first.first_received_at_ms);
    assert_ne!(second.receipt_handle, first.receipt_handle);
}

#[tokio::test]
async fn a_stale_receipt_cannot_touch_a_re_received_message() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    q.send("m").await.unwrap();
    let slow = receive_one(&q, SHORT).await;
    let fast = receive_one(&q, LONG).await;
    assert_eq!(fast.message_id, slow.message_id);
    assert!(!q.delete(&slow.receipt_handle).await.unwrap());
    assert!(!q
        .change_visibility(&slow.receipt_handle, Duration::ZERO)
        .await
        .unwrap());
    // Still owned by the second consumer, who can delete it.
    assert_eq!(q.stats().await.unwrap().in_flight, 1);
    assert!(q.delete(&fast.receipt_handle).await.unwrap());
    assert!(receive_now(&q, 10, Duration::ZERO).await.is_empty());
}

#[tokio::test]
async fn an_expired_receipt_still_deletes_until_re_received() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    q.send("m").await.unwrap();
    let m = receive_one(&q, Duration::from_millis(1)).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Visible again, but nobody took it: the handle is still the latest.
    assert!(!q.change_visibility(&m.receipt_handle, LONG).await.unwrap());
    assert!(q.delete(&m.receipt_handle).await.unwrap());
    assert_eq!(q.stats().await.unwrap(), QueueStats::default());
}

#[tokio::test]
async fn change_visibility_hides_longer_or_releases_at_once() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    q.send("m").await.unwrap();
    let m = receive_one(&q, SHORT).await;
    assert!(q.change_visibility(&m.receipt_handle, LONG).await.unwrap());
    tokio::time::sleep(SHORT * 2).await;
    assert!(
        receive_now(&q, 10, LONG).await.is_empty(),
        "extended, still hidden"
    );
    // Zero: visible now (a consumer giving a message back).
    assert!(q
        .change_visibility(&m.receipt_handle, Duration::ZERO)
        .await
        .unwrap());
    let again = receive_now(&q, 10, LONG).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].receive_count, 2);
}

#[tokio::test]
async fn batches_hold_at_most_ten_in_send_order() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    let mut sent = Vec::new();
    for i in 0..25 {
        sent.push(q.send(format!("m{i}")).await.unwrap());
    }
    let a = receive_now(&q, MAX_BATCH, LONG).await;
    let b = receive_now(&q, MAX_BATCH, LONG).await;
    let c = receive_now(&q, MAX_BATCH, LONG).await;
    assert_eq!((a.len(), b.len(), c.len()), (10, 10, 5));
    let got: Vec<String> = a
        .iter()
        .chain(&b)
        .chain(&c)
        .map(|m| m.message_id.clone())
        .collect();
    assert_eq!(got, sent);
    assert_eq!(receive_now(&q, 3, LONG).await.len(), 0);
    for bad in [0, MAX_BATCH + 1] {
        assert!(q.receive(bad, Duration::ZERO, LONG).await.is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_returns_as_soon_as_a_message_arrives() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    let sender = q.clone();
    let start = Instant::now();
    let send = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        sender.send("late").await.unwrap()
    });
    let got = q.receive(10, Duration::from_secs(20), LONG).await.unwrap();
    let waited = start.elapsed();
    let id = send.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message_id, id);
    assert!(
        waited < Duration::from_secs(10),
        "waited {waited:?} for a 20 s poll"
    );
}

#[tokio::test]
async fn long_poll_gives_up_empty_after_the_wait() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    let start = Instant::now();
    let got = q
        .receive(10, Duration::from_millis(60), LONG)
        .await
        .unwrap();
    assert!(got.is_empty());
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(60),
        "returned after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "returned after {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_sees_a_send_from_another_connection() {
    // Another process's send wakes nobody here; the poll finds it anyway.
    let db = TempDb::new();
    let a = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let b = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let qa = queue(&a);
    let qb = queue(&b);
    let send = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        qb.send("from b").await.unwrap()
    });
    let got = qa.receive(10, Duration::from_secs(20), LONG).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message_id, send.await.unwrap());
}

#[tokio::test]
async fn dead_letter_after_three_receives_and_redrive() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = queue(&s);
    let poison = q.send("poison").await.unwrap();
    for n in 1..=3 {
        let m = receive_one(&q, Duration::from_millis(1)).await;
        assert_eq!(
            (m.message_id.as_str(), m.receive_count),
            (poison.as_str(), n)
        );
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    // The 4th receive moves it to the DLQ instead of delivering it.
    assert!(receive_now(&q, 10, LONG).await.is_empty());
    let dead = q.list_dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].message_id.as_str(), dead[0].body.as_str()),
        (poison.as_str(), "poison")
    );
    assert_eq!(dead[0].receive_count, 3);
    assert!(dead[0].dead_lettered_at_ms >= dead[0].sent_at_ms);
    let first = dead[0].first_received_at_ms.expect("received before");
    assert!((dead[0].sent_at_ms..=dead[0].dead_lettered_at_ms).contains(&first));
    assert_eq!(
        q.stats().await.unwrap(),
        QueueStats {
            visible: 0,
            in_flight: 0,
            dead_letters: 1
        }
    );

    // The DLQ is a queue in its own right.
    let dlq = Queue::new(s.clone(), QueueConfig::new("orders-dlq")).unwrap();
    assert_eq!(dlq.stats().await.unwrap().visible, 1);

    // Redrive by id: back with a fresh receive count; an id that is no
    // dead letter is reported, not moved.
    assert_eq!(
        q.redrive(Redrive::Ids(vec!["nope".into()])).await.unwrap(),
        0
    );
    assert_eq!(
        q.redrive_ids(vec!["nope".into(), poison.clone()])
            .await
            .unwrap(),
        RedriveOutcome {
            moved: 1,
            not_found: vec!["nope".into()]
        }
    );
    assert!(q.list_dead_letters().await.unwrap().is_empty());
    let m = receive_one(&q, LONG).await;
    assert_eq!(
        (m.message_id.as_str(), m.receive_count),
        (poison.as_str(), 1)
    );
    assert!(q.delete(&m.receipt_handle).await.unwrap());
}

#[tokio::test]
async fn max_receives_is_configurable_and_redrive_all() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let q = Queue::new(
        s.clone(),
        QueueConfig::new("work")
            .with_max_receives(1)
            .with_dead_letter_queue("work-parked"),
    )
    .unwrap();
    for i in 0..3 {
        q.send(format!("m{i}")).await.unwrap();
    }
    assert_eq!(receive_now(&q, 10, Duration::from_millis(1)).await.len(), 3);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(receive_now(&q, 10, LONG).await.is_empty());
    assert_eq!(q.list_dead_letters().await.unwrap().len(), 3);
    assert_eq!(q.redrive(Redrive::All).await.unwrap(), 3);
    let back = receive_now(&q, 10, LONG).await;
    assert_eq!(back.len(), 3);
    assert!(back.iter().all(|m| m.receive_count == 1));
    assert!(Queue::new(s.clone(), QueueConfig::new("x").with_max_receives(0)).is_err());
    assert!(Queue::new(s, QueueConfig::new("x").with_dead_letter_queue("x")).is_err());
}

#[tokio::test]
async fn the_queue_survives_reopen() {
    let db = TempDb::new();
    let (waiting, in_flight, dead, receipt);
    {
        let s = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
        let q = Queue::new(s, QueueConfig::new("orders").with_max_receives(1)).unwrap();
        dead = q.send("dead").await.unwrap();
        let m = receive_one(&q, Duration::from_millis(1)).await;
        assert_eq!(m.message_id, dead);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(receive_now(&q, 10, LONG).await.is_empty()); // dead-letters it
        in_flight = q.send("in flight").await.unwrap();
        waiting = q.send("waiting").await.unwrap();
        let m = receive_now(&q, 1, LONG).await;
        assert_eq!(m[0].message_id, in_flight);
        receipt = m[0].receipt_handle.clone();
    }
    let s = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let q = Queue::new(s, QueueConfig::new("orders").with_max_receives(1)).unwrap();
    assert_eq!(
        q.stats().await.unwrap(),
        QueueStats {
            visible: 1,
            in_flight: 1,
            dead_letters: 1
        }
    );
    let m = receive_now(&q, 10, LONG).await;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].message_id, waiting);
    // The receipt issued before the restart still deletes its message.
    assert!(q.delete(&receipt).await.unwrap());
    assert_eq!(q.list_dead_letters().await.unwrap()[0].message_id, dead);
}
