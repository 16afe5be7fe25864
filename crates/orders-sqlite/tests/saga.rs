//! What the embedded store adds for the local host's inspection pages:
//! payments newest first, reservations of one order or all; and the
//! table's own guard that stock never goes below zero.

use chrono::{DateTime, Utc};
use orders_core::inventory::ReservationLine;
use orders_core::model::Order;
use orders_core::payments::{payment_id, ChargeStart, Payment, PaymentStatus};
use orders_core::ports::PaymentLedger;
use orders_core::ports::{Inventory, StockAdmin};
use orders_core::OrderWriter;
use orders_sqlite::SqliteStore;
use rust_decimal::Decimal;
use uuid::Uuid;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_795_000_000_000 + ms).unwrap()
}

fn payment(order_id: Uuid, ms: i64, status: PaymentStatus) -> Payment {
    Payment {
        payment_id: payment_id(order_id),
        order_id,
        amount: Decimal::new(1999, 2),
        currency: "EUR".into(),
        status,
        provider_ref: (status == PaymentStatus::Charged).then(|| "ch_sim_x".into()),
        decline_code: None,
        refund: None,
        created_at: at(ms),
    }
}

/// A PROCESSING order with id `order_id`: what the saga's charges and
/// reservations are written for (the fence refuses any other).
async fn processing_order(s: &SqliteStore, order_id: Uuid) {
    let order: Order = serde_json::from_value(serde_json::json!({
        "orderId": order_id, "customerId": "c1",
        "items": [{"sku": "A", "quantity": 1, "price": "19.99", "lineTotal": "19.99"}],
        "total": "19.99", "currency": "EUR", "status": "PROCESSING",
        "createdAt": "2026-11-22T02:01:33.123Z", "updatedAt": "2026-11-22T02:01:33.123Z"
    }))
    .unwrap();
    s.create_order(&order, None).await.unwrap();
}

#[tokio::test]
async fn payments_and_reservations_for_inspection() {
    let s = SqliteStore::in_memory().unwrap();
    let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    for (i, id) in ids.iter().enumerate() {
        processing_order(&s, *id).await;
        let started = s
            .begin_charge(&payment(*id, i as i64 * 1000, PaymentStatus::Charging))
            .await
            .unwrap();
        assert!(matches!(started, ChargeStart::Begun(_)), "{started:?}");
        s.record_charge(&payment(*id, i as i64 * 1000, PaymentStatus::Charged))
            .await
            .unwrap();
    }
    let newest: Vec<Uuid> = s
        .list_payments(2)
        .await
        .unwrap()
        .iter()
        .map(|p| p.order_id)
        .collect();
    assert_eq!(newest, vec![ids[2], ids[1]]);
    assert_eq!(s.list_payments(10).await.unwrap().len(), 3);

    s.set_stock("A", 10, at(0)).await.unwrap();
    let line = |q| {
        [ReservationLine {
            sku: "A".into(),
            quantity: q,
        }]
    };
    for (i, id) in ids.iter().enumerate() {
        s.reserve(*id, &line(1), at(i as i64 * 1000)).await.unwrap();
    }
    let all = s.list_reservations(None, 10).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.order_id).collect::<Vec<_>>(),
        vec![ids[2], ids[1], ids[0]]
    );
    let one = s.list_reservations(Some(ids[1]), 10).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        Some(&one[0]),
        s.get_reservation(ids[1]).await.unwrap().as_ref()
    );
    assert!(s
        .list_reservations(Some(Uuid::now_v7()), 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_table_refuses_negative_stock_whatever_the_caller() {
    let s = SqliteStore::in_memory().unwrap();
    s.set_stock("A", 3, at(0)).await.unwrap();
    // Two lines of one SKU each pass the per-line check; together they
    // would take 4 of 3: the CHECK constraint rolls the whole reservation
    // back.
    let twice = [
        ReservationLine {
            sku: "A".into(),
            quantity: 2,
        },
        ReservationLine {
            sku: "A".into(),
            quantity: 2,
        },
    ];
    let order = Uuid::now_v7();
    processing_order(&s, order).await;
    assert!(s.reserve(order, &twice, at(1)).await.is_err());
    let level = s.get_stock("A").await.unwrap().unwrap();
    assert_eq!((level.available, level.reserved), (3, 0));
    assert_eq!(s.get_reservation(order).await.unwrap(), None);
}
