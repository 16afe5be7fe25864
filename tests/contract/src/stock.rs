//! Cases of stock and reservations ([`Inventory`], [`StockAdmin`]).
//!
//! A new reservation is written only for a PROCESSING order whose
//! compensation has not begun (the saga's fence, proved in
//! [`crate::fence`]), so every case reserves for an order it created
//! PROCESSING first.
//!
//! [`Inventory`]: orders_core::ports::Inventory
//! [`StockAdmin`]: orders_core::ports::StockAdmin

use crate::cases::create_processing;
use crate::fixtures::*;
use crate::Store;
use orders_core::inventory::{
    Reservation, ReservationLine, ReservationStatus, ReserveOutcome, StockLevel,
};
use uuid::Uuid;

pub fn line(sku: &str, quantity: u32) -> ReservationLine {
    ReservationLine {
        sku: sku.into(),
        quantity,
    }
}

fn level(sku: &str, available: u32, reserved: u32, at_offset_ms: i64) -> StockLevel {
    StockLevel {
        sku: sku.into(),
        available,
        reserved,
        updated_at: at_ms(at_offset_ms),
    }
}

pub(crate) async fn stock_of<S: Store>(store: &S, sku: &str) -> Option<StockLevel> {
    store.get_stock(sku).await.unwrap()
}

pub(crate) fn reserved(outcome: ReserveOutcome) -> Reservation {
    match outcome {
        ReserveOutcome::Reserved(r) => r,
        other => panic!("not reserved: {other:?}"),
    }
}

/// set, get, list (by SKU, paged by `after`) and seed, which never
/// overwrites; set keeps what is reserved.
pub async fn stock_set_get_list_seed<S: Store>(store: S) {
    assert_eq!(stock_of(&store, "apple").await, None);
    assert!(store.list_stock(None, 100).await.unwrap().is_empty());
    assert_eq!(
        store.set_stock("banana", 5, at_ms(10)).await.unwrap(),
        level("banana", 5, 0, 10)
    );
    assert!(!store.seed_stock("banana", 100, at_ms(20)).await.unwrap());
    assert_eq!(
        stock_of(&store, "banana").await,
        Some(level("banana", 5, 0, 10))
    );
    assert!(store.seed_stock("apple", 7, at_ms(30)).await.unwrap());
    assert!(store.seed_stock("cherry#2", 0, at_ms(40)).await.unwrap());
    let all = vec![
        level("apple", 7, 0, 30),
        level("banana", 5, 0, 10),
        level("cherry#2", 0, 0, 40),
    ];
    assert_eq!(store.list_stock(None, 100).await.unwrap(), all);
    assert_eq!(store.list_stock(None, 2).await.unwrap(), all[..2]);
    assert_eq!(
        store.list_stock(Some("apple"), 100).await.unwrap(),
        all[1..]
    );
    assert_eq!(store.list_stock(Some("banana"), 1).await.unwrap(), all[2..]);
    assert!(store
        .list_stock(Some("cherry#2"), 10)
        .await
        .unwrap()
        .is_empty());

    // Set after a reservation: the reserved units stay reserved.
    let order = create_processing(&store, 0).await.order_id;
    reserved(
        store
            .reserve(order, &[line("banana", 2)], at_ms(50))
            .await
            .unwrap(),
    );
    assert_eq!(
        stock_of(&store, "banana").await,
        Some(level("banana", 3, 2, 50))
    );
    assert_eq!(
        store.set_stock("banana", 40, at_ms(60)).await.unwrap(),
        level("banana", 40, 2, 60)
    );
    assert!(!store.seed_stock("banana", 1, at_ms(70)).await.unwrap());
    assert_eq!(
        stock_of(&store, "banana").await,
        Some(level("banana", 40, 2, 60))
    );
}

/// All or nothing: one short line, or an unknown SKU, reserves nothing and
/// leaves every SKU as it was; the SKUs named are exactly the short ones,
/// sorted.
pub async fn reserve_is_all_or_nothing<S: Store>(store: S) {
    for (s, n) in [("a", 5), ("b", 1), ("c", 3)] {
        store.set_stock(s, n, at_ms(0)).await.unwrap();
    }
    let before = store.list_stock(None, 100).await.unwrap();
    let attempts: [(&[ReservationLine], &[&str]); 3] = [
        (&[line("a", 2), line("b", 2), line("c", 3)], &["b"]),
        (&[line("a", 1), line("zzz-unknown", 1)], &["zzz-unknown"]),
        (
            &[line("a", 6), line("b", 1), line("c", 4), line("nope", 1)],
            &["a", "c", "nope"],
        ),
    ];
    for (i, (lines, short)) in attempts.into_iter().enumerate() {
        let order = create_processing(&store, i as i64).await.order_id;
        assert_eq!(
            store.reserve(order, lines, at_ms(100)).await.unwrap(),
            ReserveOutcome::OutOfStock {
                skus: short.iter().map(|s| s.to_string()).collect()
            },
            "{lines:?}"
        );
        assert_eq!(store.get_reservation(order).await.unwrap(), None);
        assert_eq!(store.list_stock(None, 100).await.unwrap(), before);
        assert_eq!(stock_of(&store, "zzz-unknown").await, None);
    }
    // Exactly what is there can be reserved.
    let order = create_processing(&store, 10).await.order_id;
    let r = reserved(
        store
            .reserve(order, &[line("a", 5), line("b", 1)], at_ms(200))
            .await
            .unwrap(),
    );
    assert_eq!(r.status, ReservationStatus::Reserved);
    assert_eq!(stock_of(&store, "a").await, Some(level("a", 0, 5, 200)));
    assert_eq!(stock_of(&store, "b").await, Some(level("b", 0, 1, 200)));
    assert_eq!(stock_of(&store, "c").await, Some(level("c", 3, 0, 0)));
}

/// A second reservation of an order returns the stored one and changes
/// nothing, whatever lines it asks for.
pub async fn reserve_twice_changes_nothing<S: Store>(store: S) {
    store.set_stock("a", 10, at_ms(0)).await.unwrap();
    store.set_stock("b", 10, at_ms(0)).await.unwrap();
    let order = create_processing(&store, 0).await.order_id;
    let lines = [line("a", 2), line("b", 3)];
    let first = reserved(store.reserve(order, &lines, at_ms(10)).await.unwrap());
    assert_eq!(
        first,
        Reservation {
            order_id: order,
            lines: lines.to_vec(),
            status: ReservationStatus::Reserved,
            reserved_at: at_ms(10),
            released_at: None,
        }
    );
    let stock = store.list_stock(None, 10).await.unwrap();
    for again in [&lines[..], &[line("a", 9)][..]] {
        assert_eq!(
            store.reserve(order, again, at_ms(20)).await.unwrap(),
            ReserveOutcome::Reserved(first.clone())
        );
    }
    assert_eq!(store.list_stock(None, 10).await.unwrap(), stock);
    assert_eq!(store.get_reservation(order).await.unwrap(), Some(first));
}

/// A release gives the units back once: again, it changes nothing; an order
/// that reserved nothing has nothing to release; a reservation after the
/// release returns the released one and takes nothing.
pub async fn release_once_then_nothing<S: Store>(store: S) {
    store.set_stock("a", 4, at_ms(0)).await.unwrap();
    let order = create_processing(&store, 0).await.order_id;
    let held = reserved(
        store
            .reserve(order, &[line("a", 3)], at_ms(10))
            .await
            .unwrap(),
    );
    let mut released = held.clone();
    released.status = ReservationStatus::Released;
    released.released_at = Some(at_ms(20));
    assert_eq!(
        store.release(order, at_ms(20)).await.unwrap(),
        Some(released.clone())
    );
    assert_eq!(stock_of(&store, "a").await, Some(level("a", 4, 0, 20)));
    assert_eq!(
        store.release(order, at_ms(30)).await.unwrap(),
        Some(released.clone())
    );
    assert_eq!(
        store
            .reserve(order, &[line("a", 3)], at_ms(40))
            .await
            .unwrap(),
        ReserveOutcome::Reserved(released.clone())
    );
    assert_eq!(stock_of(&store, "a").await, Some(level("a", 4, 0, 20)));
    assert_eq!(store.get_reservation(order).await.unwrap(), Some(released));
    assert_eq!(
        store.release(Uuid::now_v7(), at_ms(50)).await.unwrap(),
        None
    );
}

/// Concurrent reservations of one SKU: exactly `units` succeed, the rest
/// are out of stock, and stock ends exactly at zero available.
async fn race_for<S: Store>(store: &S, units: u32, orders: usize) {
    let s = format!("race-{units}-{orders}");
    store.set_stock(&s, units, at_ms(0)).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..orders {
        ids.push(create_processing(store, i as i64).await.order_id);
    }
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|order| {
            let store = store.clone();
            let s = s.clone();
            tokio::spawn(async move {
                (
                    order,
                    store
                        .reserve(order, &[line(&s, 1)], at_ms(10))
                        .await
                        .unwrap(),
                )
            })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        let (order, outcome) = t.await.unwrap();
        match outcome {
            ReserveOutcome::Reserved(r) => {
                winners += 1;
                assert_eq!(r.order_id, order);
                assert_eq!(store.get_reservation(order).await.unwrap(), Some(r));
            }
            ReserveOutcome::OutOfStock { skus } => {
                assert_eq!(skus, vec![s.clone()]);
                assert_eq!(store.get_reservation(order).await.unwrap(), None);
            }
            ReserveOutcome::Fenced => panic!("a PROCESSING order was fenced"),
        }
    }
    assert_eq!(winners, units as usize);
    let after = stock_of(store, &s).await.unwrap();
    assert_eq!((after.available, after.reserved), (0, units));
}

/// Two orders for the last unit at once: exactly one gets it.
pub async fn last_unit_goes_to_exactly_one_order<S: Store>(store: S) {
    race_for(&store, 1, 2).await;
}

/// Twenty concurrent reservations over five units: exactly five succeed.
pub async fn twenty_reservations_over_five_units<S: Store>(store: S) {
    race_for(&store, 5, 20).await;
}

/// The most lines a create request may hold: `maxItems` of `items` in the
/// create-order schema (the API refuses more).
pub fn api_max_lines() -> usize {
    let schema: serde_json::Value =
        serde_json::from_str(orders_validation::CREATE_ORDER_SCHEMA).expect("schema JSON");
    schema["properties"]["items"]["maxItems"]
        .as_u64()
        .expect("items has maxItems") as usize
}

/// The most lines the API accepts (98 SKUs: DynamoDB's transaction holds
/// 100 actions, one is the reservation and one the order's fence check)
/// reserve and release as one.
pub async fn reserve_takes_ninety_eight_skus<S: Store>(store: S) {
    let n = api_max_lines();
    assert_eq!(
        n, 98,
        "create-order.schema.json accepts {n} lines: rename this case, and check that \
         a reservation of {n} SKUs fits one DynamoDB transaction (100 actions: the \
         reservation, the order's fence check, one per SKU)"
    );
    let lines: Vec<ReservationLine> = (0..n).map(|i| line(&format!("sku-{i:02}"), 1)).collect();
    for l in &lines {
        store.set_stock(&l.sku, 1, at_ms(0)).await.unwrap();
    }
    let order = create_processing(&store, 0).await.order_id;
    let held = reserved(store.reserve(order, &lines, at_ms(10)).await.unwrap());
    assert_eq!(held.lines, lines);
    let all = store.list_stock(None, 200).await.unwrap();
    assert_eq!(all.len(), n);
    assert!(all.iter().all(|l| (l.available, l.reserved) == (0, 1)));
    store.release(order, at_ms(20)).await.unwrap();
    let all = store.list_stock(None, 200).await.unwrap();
    assert!(all.iter().all(|l| (l.available, l.reserved) == (1, 0)));
}
