//! Cases of the saga's fence on the order's own record ([`SagaFence`]) and
//! of the writes conditional on it: completing the order
//! ([`OrderStatusUpdater`]), recording a charge intent
//! ([`PaymentLedger::begin_charge`]) and writing a reservation
//! ([`Inventory::reserve`]); and of the voided provider keys
//! ([`AttemptCounter`]) that cancel a charge intent (docs/saga.md, "The
//! fence").
//!
//! The races run on the suite's multi-thread runtime: each spawns the
//! competing calls for one order together and asserts only what holds in
//! every interleaving (which side wins is up to the store).
//!
//! [`SagaFence`]: orders_core::ports::SagaFence
//! [`OrderStatusUpdater`]: orders_core::ports::OrderStatusUpdater
//! [`PaymentLedger::begin_charge`]: orders_core::ports::PaymentLedger::begin_charge
//! [`Inventory::reserve`]: orders_core::ports::Inventory::reserve
//! [`AttemptCounter`]: orders_core::ports::AttemptCounter

use crate::cases::{
    change, collect_pages, create_all, create_processing, moved, pending_full_order,
};
use crate::fixtures::*;
use crate::payments::{answer, begin, charging, intent, racing_answers, refund, voided};
use crate::stock::{line, reserved, stock_of};
use crate::Store;
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::inventory::{ReservationLine, ReservationStatus, ReserveOutcome};
use orders_core::model::{Order, OrderStatus};
use orders_core::payments::{ChargeStart, Payment, PaymentStatus};
use orders_core::ports::{CompensationStart, SortOrder, StatusChange, TransitionOutcome};
use serde_json::Value;
use std::collections::HashMap;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Orders per race: enough that both sides are likely to win some.
const RACES: usize = 20;

/// The status events the store shows for `order_id` that `before` did not
/// have. (DynamoDB shows only the item's latest `statusEvent`, and
/// beginning compensation removes it so that write announces nothing: an
/// event can disappear from the view, which is not a new one.)
async fn new_events<S: Store>(store: &S, order_id: Uuid, before: &[Value]) -> Vec<Value> {
    store
        .status_events(order_id)
        .await
        .into_iter()
        .filter(|e| !before.contains(e))
        .collect()
}

/// The event a store writes for `c`.
/// `change` answers `outcome`, leaves the order as `order` and has written
/// exactly `events` since `before` (the order's events then).
async fn transition_is<S: Store>(
    store: &S,
    change: &StatusChange,
    outcome: TransitionOutcome,
    order: &Order,
    before: &[Value],
    events: Vec<Value>,
) {
    assert_eq!(store.transition(change).await.unwrap(), outcome);
    let id = change.order_id;
    assert_eq!(store.get_order(id).await.unwrap().as_ref(), Some(order));
    assert_eq!(new_events(store, id, before).await, events);
}

fn event_of(c: &StatusChange) -> Value {
    let event = OrderStatusChanged::new(c.order_id, c.from, c.to, c.reason.clone(), c.at)
        .expect("an allowed move");
    serde_json::from_str(&OrderEvent::from(event).to_json()).unwrap()
}

/// `o` with its compensation begun at `at_ms(offset_ms)`.
fn compensating(o: &Order, offset_ms: i64) -> Order {
    compensating_at(o, at_ms(offset_ms))
}

fn compensating_at(o: &Order, at: chrono::DateTime<chrono::Utc>) -> Order {
    Order {
        compensation_started_at: Some(at),
        ..o.clone()
    }
}

/// Begins `o`'s compensation at `at_ms(offset_ms)`: it must be `Begun`,
/// with that time, and stored so.
async fn begin_compensation_of<S: Store>(store: &S, o: &Order, offset_ms: i64) -> Order {
    let want = compensating(o, offset_ms);
    assert_eq!(
        store
            .begin_compensation(o.order_id, at_ms(offset_ms))
            .await
            .unwrap(),
        CompensationStart::Begun(want.clone())
    );
    assert_eq!(
        store.get_order(o.order_id).await.unwrap().as_ref(),
        Some(&want)
    );
    want
}

/// A PENDING order with every optional field, moved to PROCESSING by a
/// transition (so it has a status event), as stored.
/// Spawns `step` and the compensation of order `id` (at 2 s) side by side,
/// `step` first for even `i` and second for odd: both interleavings get
/// their turn.
fn race_with_compensation<S: Store, T: Send + 'static>(
    store: &S,
    id: Uuid,
    i: usize,
    step: impl std::future::Future<Output = T> + Send + 'static,
) -> (JoinHandle<T>, JoinHandle<CompensationStart>) {
    let compensate = {
        let store = store.clone();
        async move { store.begin_compensation(id, at_ms(2_000)).await.unwrap() }
    };
    if i % 2 == 0 {
        let s = tokio::spawn(step);
        (s, tokio::spawn(compensate))
    } else {
        let c = tokio::spawn(compensate);
        (tokio::spawn(step), c)
    }
}

async fn moved_to_processing<S: Store>(store: &S, offset_ms: i64) -> Order {
    let o = pending_full_order(offset_ms);
    store.create_order(&o, None).await.unwrap();
    let start = change(
        &o,
        OrderStatus::Pending,
        OrderStatus::Processing,
        offset_ms + 1_000,
    );
    let processing = moved(&o, &start);
    assert_eq!(
        store.transition(&start).await.unwrap(),
        TransitionOutcome::Moved(processing.clone())
    );
    processing
}

/// Every listing (all, and by each status, both directions) is exactly
/// `orders` as given: beginning compensation moves no order between
/// index partitions, and listed orders carry the fence as `get` does.
async fn listings_are<S: Store>(store: &S, orders: &[Order]) {
    let statuses = std::iter::once(None).chain(OrderStatus::ALL.into_iter().map(Some));
    for status in statuses {
        for dir in [SortOrder::Asc, SortOrder::Desc] {
            let mut want: Vec<Order> = orders
                .iter()
                .filter(|o| status.is_none_or(|s| o.status == s))
                .cloned()
                .collect();
            want.sort_by_key(|o| o.sort_key());
            if dir == SortOrder::Desc {
                want.reverse();
            }
            assert_eq!(
                collect_pages(store, status, dir, 2).await,
                want,
                "{status:?} {dir:?}"
            );
        }
    }
}

/// Compensation begins only on a PROCESSING order: PENDING, COMPLETED and
/// FAILED orders are `NotProcessing` and untouched, an unknown id is
/// `NotFound`. On a PROCESSING order it is `Begun` with the time set; a
/// second call is `Begun` with the first time kept. It writes no status
/// event and changes neither the status, `updatedAt`, nor which listings
/// hold the order.
pub async fn compensation_begins_only_while_processing<S: Store>(store: S) {
    let processing = moved_to_processing(&store, 0).await;
    let pending = pending_full_order(10);
    let completed = order(id_at(at_ms(20)), at_ms(20), OrderStatus::Completed);
    let failed = order(id_at(at_ms(30)), at_ms(30), OrderStatus::Failed);
    let other = create_processing(&store, 40).await;
    create_all(
        &store,
        &[pending.clone(), completed.clone(), failed.clone()],
    )
    .await;
    let before: HashMap<Uuid, Vec<Value>> = {
        let mut m = HashMap::new();
        for o in [&processing, &pending, &completed, &failed, &other] {
            m.insert(o.order_id, store.status_events(o.order_id).await);
        }
        m
    };
    assert_eq!(before[&processing.order_id].len(), 1);

    for o in [&pending, &completed, &failed] {
        assert_eq!(
            store
                .begin_compensation(o.order_id, at_ms(5_000))
                .await
                .unwrap(),
            CompensationStart::NotProcessing(o.clone()),
            "{}",
            o.status
        );
        assert_eq!(store.get_order(o.order_id).await.unwrap().as_ref(), Some(o));
    }

    let begun = begin_compensation_of(&store, &processing, 5_000).await;
    assert_eq!(begun.status, OrderStatus::Processing);
    assert_eq!(begun.updated_at, processing.updated_at);
    // Again, later: the first time is kept.
    assert_eq!(
        store
            .begin_compensation(processing.order_id, at_ms(9_000))
            .await
            .unwrap(),
        CompensationStart::Begun(begun.clone())
    );
    assert_eq!(
        store.get_order(processing.order_id).await.unwrap(),
        Some(begun.clone())
    );
    // Another PROCESSING order is not touched by it.
    assert_eq!(
        store.get_order(other.order_id).await.unwrap(),
        Some(other.clone())
    );

    let ghost = id_at(at_ms(50));
    assert_eq!(
        store.begin_compensation(ghost, at_ms(5_000)).await.unwrap(),
        CompensationStart::NotFound
    );
    assert_eq!(store.get_order(ghost).await.unwrap(), None);

    for o in [&processing, &pending, &completed, &failed, &other] {
        assert_eq!(
            new_events(&store, o.order_id, &before[&o.order_id]).await,
            Vec::<Value>::new(),
            "beginning compensation writes no status event"
        );
    }
    listings_are(&store, &[begun, pending, completed, failed, other]).await;
}

/// Once compensation began, PROCESSING to COMPLETED is `Unchanged` (the
/// order stays PROCESSING, no event), however often it is asked; PROCESSING
/// to FAILED still moves, with its event.
pub async fn a_compensating_order_never_completes<S: Store>(store: S) {
    let processing = moved_to_processing(&store, 0).await;
    let begun = begin_compensation_of(&store, &processing, 2_000).await;
    let before = store.status_events(processing.order_id).await;

    for at in [3_000, 4_000] {
        let complete = change(
            &processing,
            OrderStatus::Processing,
            OrderStatus::Completed,
            at,
        );
        let refused = TransitionOutcome::Unchanged(begun.clone());
        transition_is(&store, &complete, refused, &begun, &before, vec![]).await;
    }
    listings_are(&store, std::slice::from_ref(&begun)).await;

    let mut fail = change(
        &processing,
        OrderStatus::Processing,
        OrderStatus::Failed,
        5_000,
    );
    fail.reason = Some("PROCESSING_ERROR".into());
    fail.detail = Some("compensated".into());
    let failed = moved(&begun, &fail);
    let moved_on = TransitionOutcome::Moved(failed.clone());
    let events = vec![event_of(&fail)];
    transition_is(&store, &fail, moved_on, &failed, &before, events).await;
    // A FAILED order has nothing more to begin.
    assert_eq!(
        store
            .begin_compensation(processing.order_id, at_ms(6_000))
            .await
            .unwrap(),
        CompensationStart::NotProcessing(failed.clone())
    );
    listings_are(&store, &[failed]).await;
}

/// One side of a completion / compensation race, and what it saw.
enum Call {
    Complete(TransitionOutcome),
    Compensate(CompensationStart),
}

/// Four completions and four compensations of one PROCESSING order at once,
/// over many orders: either the order is COMPLETED (one completion moved
/// it, the others and every compensation were refused), or it is
/// PROCESSING with compensation begun (every completion refused). Never
/// both.
pub async fn completion_and_compensation_race_one_wins<S: Store>(store: S) {
    let mut orders = Vec::new();
    for i in 0..RACES {
        orders.push(create_processing(&store, i as i64).await);
    }
    let races: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let complete = change(o, OrderStatus::Processing, OrderStatus::Completed, 10_000);
            // Alternate which side is spawned first.
            let tasks: Vec<_> = (0..8)
                .map(|j| {
                    let store = store.clone();
                    let complete = complete.clone();
                    let id = o.order_id;
                    let at = at_ms(20_000 + j);
                    tokio::spawn(async move {
                        if (i + j as usize) % 2 == 0 {
                            Call::Complete(store.transition(&complete).await.unwrap())
                        } else {
                            Call::Compensate(store.begin_compensation(id, at).await.unwrap())
                        }
                    })
                })
                .collect();
            (o.clone(), complete, tasks)
        })
        .collect();
    let (mut completed, mut compensating) = (0, 0);
    for (o, complete, tasks) in races {
        let mut completions = Vec::new();
        let mut starts = Vec::new();
        for t in tasks {
            match t.await.expect("task") {
                Call::Complete(c) => completions.push(c),
                Call::Compensate(s) => starts.push(s),
            }
        }
        assert_eq!((completions.len(), starts.len()), (4, 4));
        let now = store.get_order(o.order_id).await.unwrap().expect("order");
        let events = store.status_events(o.order_id).await;
        match now.status {
            OrderStatus::Completed => {
                completed += 1;
                assert_eq!(now, moved(&o, &complete));
                let moves = completions
                    .iter()
                    .filter(|c| **c == TransitionOutcome::Moved(now.clone()))
                    .count();
                let refused = completions
                    .iter()
                    .filter(|c| **c == TransitionOutcome::Unchanged(now.clone()))
                    .count();
                assert_eq!((moves, refused), (1, 3), "{completions:?}");
                for s in &starts {
                    assert_eq!(s, &CompensationStart::NotProcessing(now.clone()));
                }
                assert_eq!(events, vec![event_of(&complete)]);
            }
            OrderStatus::Processing => {
                compensating += 1;
                let at = now
                    .compensation_started_at
                    .expect("a PROCESSING order after the race is compensating");
                assert_eq!(now, compensating_at(&o, at));
                assert!(
                    (20_000..20_008).any(|j| at == at_ms(j)),
                    "the mark is one of the calls' times: {at}"
                );
                for c in &completions {
                    assert_eq!(c, &TransitionOutcome::Unchanged(now.clone()));
                }
                for s in &starts {
                    assert_eq!(s, &CompensationStart::Begun(now.clone()));
                }
                assert!(events.is_empty(), "{events:?}");
            }
            other => panic!("order {} ended {other}", o.order_id),
        }
    }
    eprintln!("completion vs compensation: {completed} completed, {compensating} compensating");
}

/// A charge intent is recorded only for a PROCESSING order whose
/// compensation has not begun; a payment on record answers a later
/// intent; the first answer wins (CHARGED, DECLINED or VOIDED); an answer
/// is never CHARGING or REFUNDED, and never recorded without an intent.
pub async fn charge_intent_is_behind_the_fence<S: Store>(store: S) {
    // Not PROCESSING, or no such order: fenced, nothing written.
    let pending = order(id_at(at_ms(0)), at_ms(0), OrderStatus::Pending);
    let completed = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Completed);
    let failed = order(id_at(at_ms(2)), at_ms(2), OrderStatus::Failed);
    create_all(
        &store,
        &[pending.clone(), completed.clone(), failed.clone()],
    )
    .await;
    let ghost = id_at(at_ms(3));
    for id in [pending.order_id, completed.order_id, failed.order_id, ghost] {
        assert_eq!(
            store.begin_charge(&intent(id, 100)).await.unwrap(),
            ChargeStart::Fenced
        );
        assert_eq!(store.get_payment(id).await.unwrap(), None);
    }
    assert_eq!(
        store.get_order(pending.order_id).await.unwrap(),
        Some(pending)
    );

    // PROCESSING: begun; again (a retry, later): the intent on record.
    let o = create_processing(&store, 10).await;
    let first = begin(&store, &intent(o.order_id, 100)).await;
    assert_eq!(first.status, PaymentStatus::Charging);
    assert_eq!(
        store.begin_charge(&intent(o.order_id, 200)).await.unwrap(),
        ChargeStart::Exists(first.clone())
    );
    // Answers: the first wins.
    let charged = answer(&first, PaymentStatus::Charged);
    assert_eq!(store.record_charge(&charged).await.unwrap(), charged);
    assert_eq!(
        store
            .record_charge(&answer(&first, PaymentStatus::Declined))
            .await
            .unwrap(),
        charged
    );
    assert_eq!(
        store.record_charge(&voided(&first, None)).await.unwrap(),
        charged
    );
    assert_eq!(
        store.get_payment(o.order_id).await.unwrap(),
        Some(charged.clone())
    );
    // Its compensation begins: the payment on record still answers.
    begin_compensation_of(&store, &o, 300).await;
    assert_eq!(
        store.begin_charge(&intent(o.order_id, 400)).await.unwrap(),
        ChargeStart::Exists(charged.clone())
    );

    // A compensating order without a payment: fenced.
    let late = create_processing(&store, 20).await;
    begin_compensation_of(&store, &late, 100).await;
    assert_eq!(
        store
            .begin_charge(&intent(late.order_id, 200))
            .await
            .unwrap(),
        ChargeStart::Fenced
    );
    assert_eq!(store.get_payment(late.order_id).await.unwrap(), None);

    // VOIDED (cancelled at the provider, its charge refunded): it stays.
    let intent_v = charging(&store, 30).await;
    let void = voided(
        &intent_v,
        Some(refund(intent_v.order_id, "re_sim_void", 500)),
    );
    assert_eq!(store.record_charge(&void).await.unwrap(), void);
    assert_eq!(
        store
            .record_charge(&answer(&intent_v, PaymentStatus::Charged))
            .await
            .unwrap(),
        void
    );
    assert_eq!(
        store.get_payment(intent_v.order_id).await.unwrap(),
        Some(void)
    );
    // VOIDED without a refund (the provider had charged nothing).
    let intent_n = charging(&store, 40).await;
    let nothing = voided(&intent_n, None);
    assert_eq!(store.record_charge(&nothing).await.unwrap(), nothing);
    assert_eq!(
        store
            .record_charge(&answer(&intent_n, PaymentStatus::Declined))
            .await
            .unwrap(),
        nothing
    );

    // An answer is CHARGED, DECLINED or VOIDED: others are refused and
    // change nothing.
    let open = charging(&store, 50).await;
    let not_answers = [
        Payment {
            created_at: at_ms(900),
            ..open.clone()
        },
        Payment {
            status: PaymentStatus::Refunded,
            refund: Some(refund(open.order_id, "re_x", 900)),
            ..answer(&open, PaymentStatus::Charged)
        },
    ];
    for p in &not_answers {
        assert!(
            store.record_charge(p).await.is_err(),
            "record_charge({}) must be refused",
            p.status.as_str()
        );
        assert_eq!(
            store.get_payment(open.order_id).await.unwrap(),
            Some(open.clone())
        );
    }
    // No intent, no answer: nothing is inserted.
    let bare = create_processing(&store, 60).await;
    let unasked = answer(&intent(bare.order_id, 100), PaymentStatus::Charged);
    assert!(store.record_charge(&unasked).await.is_err());
    assert_eq!(store.get_payment(bare.order_id).await.unwrap(), None);
}

/// Eight executions charging one PROCESSING order at once record one
/// intent: one `Begun`, seven `Exists` of it. Their eight answers (mixed)
/// leave one, and every caller is told it.
pub async fn two_executions_charging_one_order_record_one_intent<S: Store>(store: S) {
    let o = create_processing(&store, 0).await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let p = intent(o.order_id, 100 + i);
            tokio::spawn(async move { store.begin_charge(&p).await.unwrap() })
        })
        .collect();
    let mut begun = Vec::new();
    let mut exists = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            ChargeStart::Begun(p) => begun.push(p),
            ChargeStart::Exists(p) => exists.push(p),
            ChargeStart::Fenced => panic!("a PROCESSING order was fenced"),
        }
    }
    assert_eq!((begun.len(), exists.len()), (1, 7), "{exists:?}");
    let stored = store
        .get_payment(o.order_id)
        .await
        .unwrap()
        .expect("intent");
    assert_eq!(stored, begun[0]);
    assert_eq!(stored.status, PaymentStatus::Charging);
    assert!(exists.iter().all(|p| p == &stored), "{exists:?}");

    let answers = racing_answers(&store, &stored).await;
    let recorded = store
        .get_payment(o.order_id)
        .await
        .unwrap()
        .expect("payment");
    assert!(
        recorded == answer(&stored, PaymentStatus::Charged)
            || recorded == answer(&stored, PaymentStatus::Declined),
        "{recorded:?}"
    );
    assert!(answers.iter().all(|a| a == &recorded), "{answers:?}");
}

/// A charge intent and a compensation racing for one PROCESSING order,
/// over many orders: compensation always begins; the intent is recorded
/// or fenced, and a fenced one wrote nothing. Afterwards every order
/// refuses a new intent (`Fenced` with no payment, else the payment on
/// record answers) and refuses to complete.
pub async fn charge_intent_and_compensation_race<S: Store>(store: S) {
    let mut orders = Vec::new();
    for i in 0..RACES {
        orders.push(create_processing(&store, i as i64).await);
    }
    let races: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let p = intent(o.order_id, 1_000);
            let charge = {
                let store = store.clone();
                let p = p.clone();
                async move { store.begin_charge(&p).await.unwrap() }
            };
            let (charge, compensate) = race_with_compensation(&store, o.order_id, i, charge);
            (o.clone(), p, charge, compensate)
        })
        .collect();
    let (mut charged_first, mut fenced) = (0, 0);
    for (o, p, charge, compensate) in races {
        let charge = charge.await.expect("task");
        let start = compensate.await.expect("task");
        let now = compensating(&o, 2_000);
        assert_eq!(start, CompensationStart::Begun(now.clone()));
        assert_eq!(
            store.get_order(o.order_id).await.unwrap(),
            Some(now.clone())
        );
        let on_record = store.get_payment(o.order_id).await.unwrap();
        match charge {
            ChargeStart::Begun(got) => {
                charged_first += 1;
                assert_eq!(got, p);
                assert_eq!(on_record, Some(p.clone()));
                assert_eq!(
                    store
                        .begin_charge(&intent(o.order_id, 3_000))
                        .await
                        .unwrap(),
                    ChargeStart::Exists(p)
                );
            }
            ChargeStart::Fenced => {
                fenced += 1;
                assert_eq!(on_record, None);
                assert_eq!(
                    store
                        .begin_charge(&intent(o.order_id, 3_000))
                        .await
                        .unwrap(),
                    ChargeStart::Fenced
                );
                assert_eq!(store.get_payment(o.order_id).await.unwrap(), None);
            }
            ChargeStart::Exists(p) => panic!("an order with no payment had one: {p:?}"),
        }
        let complete = change(&o, OrderStatus::Processing, OrderStatus::Completed, 4_000);
        assert_eq!(
            store.transition(&complete).await.unwrap(),
            TransitionOutcome::Unchanged(now)
        );
    }
    eprintln!("charge intent vs compensation: {charged_first} intents first, {fenced} fenced");
}

/// A reservation is written only for a PROCESSING order whose compensation
/// has not begun (`Fenced` otherwise, stock untouched); one on record is
/// returned as it is whatever the order's state (what `reserve` promises:
/// a second call changes nothing and returns the stored reservation).
pub async fn reservation_is_behind_the_fence<S: Store>(store: S) {
    store.set_stock("a", 10, at_ms(0)).await.unwrap();
    store.set_stock("b", 1, at_ms(0)).await.unwrap();
    let lines = [line("a", 2), line("b", 1)];
    let stock = store.list_stock(None, 10).await.unwrap();

    let pending = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Pending);
    let completed = order(id_at(at_ms(2)), at_ms(2), OrderStatus::Completed);
    let failed = order(id_at(at_ms(3)), at_ms(3), OrderStatus::Failed);
    create_all(
        &store,
        &[pending.clone(), completed.clone(), failed.clone()],
    )
    .await;
    let held_back = create_processing(&store, 4).await;
    begin_compensation_of(&store, &held_back, 100).await;
    let ghost = id_at(at_ms(5));
    for id in [
        pending.order_id,
        completed.order_id,
        failed.order_id,
        held_back.order_id,
        ghost,
    ] {
        assert_eq!(
            store.reserve(id, &lines, at_ms(200)).await.unwrap(),
            ReserveOutcome::Fenced
        );
        assert_eq!(store.get_reservation(id).await.unwrap(), None);
        assert_eq!(store.list_stock(None, 10).await.unwrap(), stock);
    }
    // A compensating order short of stock: nothing reserved either.
    let outcome = store
        .reserve(held_back.order_id, &[line("b", 5)], at_ms(200))
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            ReserveOutcome::Fenced | ReserveOutcome::OutOfStock { .. }
        ),
        "{outcome:?}"
    );
    assert_eq!(store.list_stock(None, 10).await.unwrap(), stock);

    // PROCESSING: reserved. Its compensation begins: a repeated reserve
    // returns what is on record and takes nothing more.
    let o = create_processing(&store, 6).await;
    let held = reserved(store.reserve(o.order_id, &lines, at_ms(300)).await.unwrap());
    assert_eq!(held.status, ReservationStatus::Reserved);
    let after_reserve = store.list_stock(None, 10).await.unwrap();
    assert_eq!(
        stock_of(&store, "b")
            .await
            .map(|l| (l.available, l.reserved)),
        Some((0, 1))
    );
    begin_compensation_of(&store, &o, 400).await;
    assert_eq!(
        store.reserve(o.order_id, &lines, at_ms(500)).await.unwrap(),
        ReserveOutcome::Reserved(held.clone())
    );
    assert_eq!(store.list_stock(None, 10).await.unwrap(), after_reserve);
    // The compensation gives it back once; a reserve after that still
    // returns the record (released) and takes nothing.
    let released = store
        .release(o.order_id, at_ms(600))
        .await
        .unwrap()
        .expect("a reservation");
    assert_eq!(released.status, ReservationStatus::Released);
    assert_eq!(
        store.reserve(o.order_id, &lines, at_ms(700)).await.unwrap(),
        ReserveOutcome::Reserved(released)
    );
    for l in store.list_stock(None, 10).await.unwrap() {
        let was = stock.iter().find(|s| s.sku == l.sku).unwrap();
        assert_eq!((l.available, l.reserved), (was.available, was.reserved));
    }
}

/// A reservation and a compensation racing for one PROCESSING order (with
/// plenty of stock), over many orders: compensation always begins; the
/// reservation is written or fenced, never out of stock. Afterwards an
/// order without a reservation is fenced for good, one with a reservation
/// gets it back; stock is conserved, and releasing everything gives back
/// exactly what was reserved.
pub async fn reservation_and_compensation_race<S: Store>(store: S) {
    const STOCK: u32 = 1_000;
    store.set_stock("race-a", STOCK, at_ms(0)).await.unwrap();
    store.set_stock("race-b", STOCK, at_ms(0)).await.unwrap();
    let lines_of = |i: usize| -> Vec<ReservationLine> {
        vec![line("race-a", 1 + (i % 3) as u32), line("race-b", 1)]
    };
    let mut orders = Vec::new();
    for i in 0..RACES {
        orders.push(create_processing(&store, i as i64).await);
    }
    let races: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let reserve = {
                let store = store.clone();
                let id = o.order_id;
                let lines = lines_of(i);
                async move { store.reserve(id, &lines, at_ms(1_000)).await.unwrap() }
            };
            let (reserve, compensate) = race_with_compensation(&store, o.order_id, i, reserve);
            (i, o.clone(), reserve, compensate)
        })
        .collect();
    let mut held: HashMap<String, u32> = HashMap::new();
    let (mut reserved_first, mut fenced) = (0, 0);
    let mut outcomes = Vec::new();
    for (i, o, reserve, compensate) in races {
        let outcome = reserve.await.expect("task");
        let start = compensate.await.expect("task");
        assert_eq!(start, CompensationStart::Begun(compensating(&o, 2_000)));
        outcomes.push((i, o, outcome));
    }
    for (i, o, outcome) in &outcomes {
        let on_record = store.get_reservation(o.order_id).await.unwrap();
        let again = store
            .reserve(o.order_id, &lines_of(*i), at_ms(3_000))
            .await
            .unwrap();
        match outcome {
            ReserveOutcome::Reserved(r) => {
                reserved_first += 1;
                assert_eq!(r.lines, lines_of(*i));
                assert_eq!(on_record.as_ref(), Some(r));
                assert_eq!(again, ReserveOutcome::Reserved(r.clone()));
                for l in &r.lines {
                    *held.entry(l.sku.clone()).or_default() += l.quantity;
                }
            }
            ReserveOutcome::Fenced => {
                fenced += 1;
                assert_eq!(on_record, None);
                assert_eq!(again, ReserveOutcome::Fenced);
                assert_eq!(store.get_reservation(o.order_id).await.unwrap(), None);
            }
            ReserveOutcome::OutOfStock { skus } => panic!("out of stock with plenty: {skus:?}"),
        }
    }
    for sku in ["race-a", "race-b"] {
        let l = stock_of(&store, sku).await.unwrap();
        let want = held.get(sku).copied().unwrap_or_default();
        assert_eq!((l.available, l.reserved), (STOCK - want, want), "{sku}");
    }
    // The compensations release: each reserved order gives back what it
    // held, once; a fenced one has nothing.
    for (_, o, outcome) in &outcomes {
        let released = store.release(o.order_id, at_ms(4_000)).await.unwrap();
        match outcome {
            ReserveOutcome::Reserved(r) => {
                let r2 = released.expect("a reservation");
                assert_eq!(r2.status, ReservationStatus::Released);
                assert_eq!(r2.lines, r.lines);
            }
            _ => assert_eq!(released, None),
        }
    }
    for sku in ["race-a", "race-b"] {
        let l = stock_of(&store, sku).await.unwrap();
        assert_eq!((l.available, l.reserved), (STOCK, 0), "{sku}");
    }
    eprintln!("reservation vs compensation: {reserved_first} reserved first, {fenced} fenced");
}

/// A voided provider key counts no more: counting after a void is `None`
/// and counts nothing; a void returns the count at that moment, also when
/// repeated and for a key never counted. Counts racing a void: the ones
/// counted are exactly 1..=(what the void returned), the rest `None`.
pub async fn a_voided_key_counts_no_more<S: Store>(store: S) {
    let k = unique_key("charge");
    assert_eq!(store.count_attempt(&k).await.unwrap(), Some(1));
    assert_eq!(store.count_attempt(&k).await.unwrap(), Some(2));
    assert_eq!(store.void_key(&k).await.unwrap(), 2);
    assert_eq!(store.count_attempt(&k).await.unwrap(), None);
    assert_eq!(store.void_key(&k).await.unwrap(), 2);
    assert_eq!(store.count_attempt(&k).await.unwrap(), None);

    let never = unique_key("charge");
    assert_eq!(store.void_key(&never).await.unwrap(), 0);
    assert_eq!(store.count_attempt(&never).await.unwrap(), None);
    assert_eq!(store.count_attempt(&never).await.unwrap(), None);
    assert_eq!(store.void_key(&never).await.unwrap(), 0);

    // Another key is independent of the voided ones.
    let other = unique_key("charge");
    assert_eq!(store.count_attempt(&other).await.unwrap(), Some(1));

    for round in 0..5 {
        let key = unique_key("race");
        let mut counts = Vec::new();
        let mut void = None;
        for i in 0..11 {
            let store = store.clone();
            let key = key.clone();
            // The void goes in at a different place each round.
            if i == 2 + round * 2 {
                void = Some(tokio::spawn(
                    async move { store.void_key(&key).await.unwrap() },
                ));
            } else {
                counts.push(tokio::spawn(async move {
                    store.count_attempt(&key).await.unwrap()
                }));
            }
        }
        let mut counted = Vec::new();
        let mut refused = 0;
        for t in counts {
            match t.await.expect("task") {
                Some(n) => counted.push(n),
                None => refused += 1,
            }
        }
        let v = void.expect("a void").await.expect("task");
        counted.sort_unstable();
        assert_eq!(counted, (1..=v).collect::<Vec<u32>>(), "round {round}");
        assert_eq!(refused as u32, 10 - v, "round {round}");
        assert_eq!(store.void_key(&key).await.unwrap(), v);
        assert_eq!(store.count_attempt(&key).await.unwrap(), None);
    }
}
