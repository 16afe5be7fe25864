//! The status page's counts: orders per status (zeros included) and the
//! outbox's length.

mod common;

use common::order_for;
use orders_core::ports::{OrderStatusUpdater, OrderWriter, StatusChange};
use orders_core::OrderStatus;
use orders_sqlite::SqliteStore;

fn count(counts: &[(OrderStatus, u64)], status: OrderStatus) -> u64 {
    counts.iter().find(|(s, _)| *s == status).unwrap().1
}

#[tokio::test]
async fn orders_per_status_with_zeros_and_the_outbox_length() {
    let s = SqliteStore::in_memory().unwrap();
    let empty = s.order_counts().await.unwrap();
    assert_eq!(empty.len(), OrderStatus::ALL.len());
    assert!(empty.iter().all(|(_, n)| *n == 0), "{empty:?}");
    assert_eq!(s.outbox_len().await.unwrap(), 0);

    let mut ids = Vec::new();
    for i in 0..3 {
        let o = order_for(&format!("c{i}"));
        ids.push(o.order_id);
        s.create_order(&o, None).await.unwrap();
    }
    let change = StatusChange {
        order_id: ids[0],
        from: OrderStatus::Pending,
        to: OrderStatus::Processing,
        reason: None,
        detail: None,
        at: chrono::Utc::now(),
    };
    s.transition(&change).await.unwrap();

    let counts = s.order_counts().await.unwrap();
    assert_eq!(count(&counts, OrderStatus::Pending), 2);
    assert_eq!(count(&counts, OrderStatus::Processing), 1);
    assert_eq!(count(&counts, OrderStatus::Completed), 0);
    let statuses: Vec<OrderStatus> = counts.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, OrderStatus::ALL);
    // Three OrderCreated and one OrderStatusChanged.
    assert_eq!(s.outbox_len().await.unwrap(), 4);
    assert_eq!(
        s.outbox_len().await.unwrap() as usize,
        s.outbox_pending(100).await.unwrap().len()
    );
}
