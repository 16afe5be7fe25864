//! The conditional writes (status moves, ledger claims) across two stores
//! on one file, as two local-host processes would share it. The port
//! semantics themselves are in the contract suite (tests/contract).

mod common;

use chrono::Utc;
use common::{order, TempDb};
use orders_core::model::OrderStatus;
use orders_core::notification::Channel;
use orders_core::ports::{
    Claim, NotificationLedger, OrderStatusUpdater, OrderWriter, StatusChange, TransitionOutcome,
};
use orders_sqlite::SqliteStore;
use std::time::Duration;

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
        detail: None,
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
