//! The local notification side: the queue publisher, the recording
//! notifier, and the conditional writes (status moves, ledger claims) across
//! two stores on one file, as two local-host processes would share it.
//! The port semantics themselves are in the contract suite (tests/contract).

mod common;

use chrono::Utc;
use common::{order, TempDb};
use orders_core::events::{validate_event, OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_core::notifications::render;
use orders_core::ports::{
    Channel, Claim, EventPublisher, NotificationLedger, Notifier, OrderStatusUpdater, OrderWriter,
    StatusChange, TransitionOutcome,
};
use orders_sqlite::notifier::{channels_of, RecordingNotifier};
use orders_sqlite::publisher::QueuePublisher;
use orders_sqlite::queue::{Queue, QueueConfig};
use orders_sqlite::SqliteStore;
use std::time::Duration;

#[tokio::test]
async fn the_publisher_puts_the_event_document_on_its_queue() {
    let s = SqliteStore::in_memory().unwrap();
    let queue = Queue::new(s.clone(), QueueConfig::new("notifications")).unwrap();
    let publisher = QueuePublisher::new(queue.clone());
    assert_eq!(publisher.queue().name(), "notifications");
    let o = order();
    let event = OrderStatusChanged::new(
        o.order_id,
        OrderStatus::Processing,
        OrderStatus::Failed,
        Some("payment declined".into()),
        // Events carry milliseconds.
        chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap(),
    )
    .unwrap();
    publisher.publish(&event).await.unwrap();
    // At least once: a republish is a second message with the same event.
    publisher.publish(&event).await.unwrap();

    let got = queue
        .receive(10, Duration::ZERO, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    for m in &got {
        let doc: serde_json::Value = serde_json::from_str(&m.body).unwrap();
        validate_event(&doc).unwrap();
        assert_eq!(doc["eventType"], "OrderStatusChanged");
        assert_eq!(doc["status"], "FAILED");
        assert_eq!(
            OrderEvent::from_json(&m.body).unwrap(),
            OrderEvent::from(event.clone())
        );
    }
    assert_ne!(got[0].message_id, got[1].message_id);
}

#[tokio::test]
async fn the_recording_notifier_records_what_was_sent() {
    let s = SqliteStore::in_memory().unwrap();
    let notifier = RecordingNotifier::new(s.clone());

    let mut both = order();
    both.customer_phone = Some("+14155550100".into());
    let n = render(&both, OrderStatus::Processing).unwrap();
    assert_eq!(
        notifier.send(&n).await.unwrap(),
        vec![Channel::Email, Channel::Sms]
    );

    let mut nothing = order();
    nothing.customer_email = None;
    let quiet = render(&nothing, OrderStatus::Cancelled).unwrap();
    assert_eq!(channels_of(&quiet), vec![Channel::Log]);
    assert_eq!(notifier.send(&quiet).await.unwrap(), vec![Channel::Log]);

    let n2 = render(&both, OrderStatus::Completed).unwrap();
    assert_eq!(
        notifier.send(&n2).await.unwrap(),
        vec![Channel::Email, Channel::Sms]
    );

    let all = s.list_sent_notifications(None, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all
        .windows(2)
        .all(|w| w[0].seq < w[1].seq && w[0].sent_at <= w[1].sent_at));
    assert_eq!(all[0].order_id, both.order_id);
    assert_eq!(all[0].status, OrderStatus::Processing);
    assert_eq!(all[0].email, n.email);
    assert_eq!(all[0].sms, n.sms);
    assert_eq!(all[1].order_id, nothing.order_id);
    assert_eq!(all[1].channels, vec![Channel::Log]);
    assert!(all[1].email.is_none() && all[1].sms.is_none());

    // By order, oldest first; a limit keeps the latest.
    let mine = s
        .list_sent_notifications(Some(both.order_id), 100)
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|x| x.status).collect::<Vec<_>>(),
        vec![OrderStatus::Processing, OrderStatus::Completed]
    );
    let latest = s.list_sent_notifications(None, 2).await.unwrap();
    assert_eq!(latest, all[1..].to_vec());

    // The local endpoint's JSON.
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(json["orderId"], both.order_id.to_string());
    assert_eq!(json["status"], "PROCESSING");
    assert_eq!(json["channels"], serde_json::json!(["email", "sms"]));
    assert_eq!(json["email"]["to"], "ada@example.com");
    assert_eq!(json["sms"]["to"], "+14155550100");
    assert!(json["sentAt"].as_str().unwrap().ends_with('Z'));
    let quiet_json = serde_json::to_value(&all[1]).unwrap();
    assert!(quiet_json.get("email").is_none());
}

/// Two stores on one file stand for two local-host processes: their writer
/// connections contend for SQLite's write lock, and still exactly one move
/// and one claim win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_writes_hold_across_two_stores_on_one_file() {
    let db = TempDb::new();
    let a = SqliteStore::open(&db.path).unwrap();
    let b = SqliteStore::open(&db.path).unwrap();
    let o = order();
    a.create_order(&o, None).await.unwrap();

    let change = StatusChange {
        order_id: o.order_id,
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        at: Utc::now(),
    };
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            let change = change.clone();
            tokio::spawn(async move { s.transition(&change).await.unwrap() })
        })
        .collect();
    let mut moved = 0;
    for t in tasks {
        match t.await.unwrap() {
            TransitionOutcome::Moved(_) => moved += 1,
            TransitionOutcome::Unchanged(x) => assert_eq!(x.status, OrderStatus::Processing),
            TransitionOutcome::NotFound => panic!("not found"),
        }
    }
    assert_eq!(moved, 1);

    let now = Utc::now();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                s.claim(
                    o.order_id,
                    OrderStatus::Processing,
                    now,
                    Duration::from_secs(30),
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut claims = Vec::new();
    for t in tasks {
        claims.push(t.await.unwrap());
    }
    assert_eq!(claims.iter().filter(|c| **c == Claim::Claimed).count(), 1);
    assert_eq!(claims.iter().filter(|c| **c == Claim::InFlight).count(), 7);

    b.complete(o.order_id, OrderStatus::Processing, now, &[Channel::Email])
        .await
        .unwrap();
    let entry = a
        .ledger_entry(o.order_id, OrderStatus::Processing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, orders_sqlite::ledger::SENT);
    assert_eq!(entry.channels, vec![Channel::Email]);
    assert_eq!(entry.sent_at_ms, Some(now.timestamp_millis()));
    assert_eq!(entry.lease_until_ms, None);
}
