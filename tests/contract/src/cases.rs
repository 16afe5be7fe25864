//! The cases. Each takes a fresh, empty store. Those of the saga's fence,
//! its stores and status events live in [`crate::fence`],
//! [`crate::payments`], [`crate::stock`] and [`crate::events`], re-exported
//! here.

pub use crate::events::cases::*;
pub use crate::fence::*;
pub use crate::payments::*;
pub use crate::stock::*;

use crate::fixtures::*;
use crate::Store;
use orders_core::error::StoreError;
use orders_core::model::{Order, OrderStatus, STATUS_SHARDS};
use orders_core::notification::Channel;
use orders_core::ports::{
    Claim, CreateOutcome, ListQuery, SortOrder, StatusChange, TransitionOutcome,
};
use std::collections::HashSet;
use std::time::Duration;

fn query(
    status: Option<OrderStatus>,
    order: SortOrder,
    limit: u32,
    after: Option<String>,
) -> ListQuery {
    ListQuery {
        status,
        limit,
        order,
        after,
    }
}

pub(crate) async fn create_all<S: Store>(store: &S, orders: &[Order]) {
    // A few at a time: realistic, and quicker on a remote-ish endpoint.
    for chunk in orders.chunks(8) {
        let results =
            futures::future::join_all(chunk.iter().map(|o| store.create_order(o, None))).await;
        for r in results {
            assert_eq!(r.expect("create"), CreateOutcome::Created);
        }
    }
}

/// A minimal PROCESSING order created at `at_ms(offset_ms)`, written to
/// `store`: what the saga's steps (charging, reserving, compensating) need.
pub(crate) async fn create_processing<S: Store>(store: &S, offset_ms: i64) -> Order {
    let o = order(
        id_at(at_ms(offset_ms)),
        at_ms(offset_ms),
        OrderStatus::Processing,
    );
    assert_eq!(
        store.create_order(&o, None).await.expect("create"),
        CreateOutcome::Created
    );
    o
}

/// Every order in the store, newest first, by paging with limit 100.
pub(crate) async fn all_orders<S: Store>(store: &S) -> Vec<Order> {
    collect_pages(store, None, SortOrder::Desc, 100).await
}

/// Walks every page of a listing and checks page sizes and `has_more`.
pub(crate) async fn collect_pages<S: Store>(
    store: &S,
    status: Option<OrderStatus>,
    order: SortOrder,
    limit: u32,
) -> Vec<Order> {
    let mut out: Vec<Order> = Vec::new();
    let mut after = None;
    for page_no in 0.. {
        assert!(page_no < 10_000, "pagination does not end");
        let page = store
            .list_orders(&query(status, order, limit, after.clone()))
            .await
            .expect("list");
        assert!(
            page.orders.len() <= limit as usize,
            "page larger than limit {limit}"
        );
        if page.has_more {
            assert_eq!(
                page.orders.len(),
                limit as usize,
                "a page with has_more must be full"
            );
        }
        out.extend(page.orders);
        if !page.has_more {
            break;
        }
        after = Some(out.last().expect("non-empty page").sort_key());
    }
    out
}

fn expected(all: &[Order], status: Option<OrderStatus>, order: SortOrder) -> Vec<Order> {
    let mut v: Vec<Order> = all
        .iter()
        .filter(|o| status.is_none_or(|s| o.status == s))
        .cloned()
        .collect();
    v.sort_by_key(|o| o.sort_key());
    if order == SortOrder::Desc {
        v.reverse();
    }
    v
}

fn ids(orders: &[Order]) -> Vec<String> {
    orders.iter().map(|o| o.sort_key()).collect()
}

/// create then get round-trips every field exactly.
pub async fn create_then_get_round_trips<S: Store>(store: S) {
    let full = full_order(at_ms(0));
    let minimal = order(id_at(at_ms(5)), at_ms(5), OrderStatus::Pending);
    for o in [&full, &minimal] {
        assert_eq!(
            store.create_order(o, None).await.unwrap(),
            CreateOutcome::Created
        );
        let got = store.get_order(o.order_id).await.unwrap().expect("found");
        assert_eq!(&got, o);
        // Exact money text, not just equal values.
        assert_eq!(got.total.to_string(), o.total.to_string());
        for (a, b) in got.items.iter().zip(&o.items) {
            assert_eq!(a.price.to_string(), b.price.to_string());
            assert_eq!(a.line_total.to_string(), b.line_total.to_string());
        }
        assert_eq!(got.customer_email, o.customer_email);
        assert_eq!(got.customer_phone, o.customer_phone);
        assert_eq!(got.created_at, o.created_at);
        assert_eq!(got.updated_at, o.updated_at);
    }
    assert_eq!(full_order(at_ms(0)).total.to_string(), "1030.07");
    assert_eq!(full.customer_phone.as_deref(), Some("+447700900123"));
    // A phone without an e-mail.
    let mut phone_only = order(id_at(at_ms(9)), at_ms(9), OrderStatus::Pending);
    phone_only.customer_phone = Some("+14155550100".into());
    store.create_order(&phone_only, None).await.unwrap();
    let got = store.get_order(phone_only.order_id).await.unwrap();
    assert_eq!(got.as_ref(), Some(&phone_only));
    assert_eq!(got.unwrap().customer_email, None);
    // Listing returns the same full orders, contacts included.
    let listed = all_orders(&store).await;
    assert_eq!(listed, vec![phone_only, minimal, full]);
}

/// get of an unknown id is `None`.
pub async fn get_unknown_is_none<S: Store>(store: S) {
    assert_eq!(store.get_order(id_at(at_ms(0))).await.unwrap(), None);
    let o = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Pending);
    store.create_order(&o, None).await.unwrap();
    assert_eq!(store.get_order(id_at(at_ms(1))).await.unwrap(), None);
}

/// A second create with the same id fails with OrderExists; the first order
/// stays as it was, and a record sent with the losing create is not kept.
pub async fn create_existing_id_conflicts<S: Store>(store: S) {
    let first = full_order(at_ms(0));
    store.create_order(&first, None).await.unwrap();
    let mut second = order(first.order_id, at_ms(10), OrderStatus::Pending);
    second.customer_email = Some("other@example.com".into());
    match store.create_order(&second, None).await {
        Err(StoreError::OrderExists(id)) => assert_eq!(id, first.order_id.to_string()),
        other => panic!("expected OrderExists, got {other:?}"),
    }
    // With an idempotency record: still OrderExists, and nothing written.
    let key = unique_key("conflict");
    let rec = record(&key, &second, "h1", now_epoch() + 3600);
    match store.create_order(&second, Some(&rec)).await {
        Err(StoreError::OrderExists(_)) => {}
        other => panic!("expected OrderExists, got {other:?}"),
    }
    assert_eq!(
        store.get_order(first.order_id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(all_orders(&store).await, vec![first]);
    // The record was rolled back with the order: the key is still free.
    let third = order(id_at(at_ms(20)), at_ms(20), OrderStatus::Pending);
    let rec3 = record(&key, &third, "h3", now_epoch() + 3600);
    assert_eq!(
        store.create_order(&third, Some(&rec3)).await.unwrap(),
        CreateOutcome::Created
    );
}

/// The record is written with the order; the same key again returns it and
/// writes nothing.
pub async fn idempotency_key_replays<S: Store>(store: S) {
    let key = unique_key("replay");
    let first = order(id_at(at_ms(0)), at_ms(0), OrderStatus::Pending);
    let rec = record(&key, &first, "hash-1", now_epoch() + 86_400);
    assert_eq!(
        store.create_order(&first, Some(&rec)).await.unwrap(),
        CreateOutcome::Created
    );
    // Same key, same request (a retry) and same key, other request: both get
    // the stored record, and neither order is written.
    for hash in ["hash-1", "hash-2"] {
        let retry = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Pending);
        let rec2 = record(&key, &retry, hash, now_epoch() + 86_400);
        assert_eq!(
            store.create_order(&retry, Some(&rec2)).await.unwrap(),
            CreateOutcome::KeyExists(rec.clone())
        );
        assert_eq!(store.get_order(retry.order_id).await.unwrap(), None);
    }
    assert_eq!(all_orders(&store).await, vec![first.clone()]);
    // Another key is independent.
    let other = order(id_at(at_ms(2)), at_ms(2), OrderStatus::Pending);
    let rec3 = record(&unique_key("other"), &other, "hash-1", now_epoch() + 86_400);
    assert_eq!(
        store.create_order(&other, Some(&rec3)).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(all_orders(&store).await, vec![other, first]);
}

/// An expired record counts as absent and is replaced. "Expired" is judged
/// at the request's time (the new order's createdAt, given by the use
/// case), not by a clock the store reads.
pub async fn expired_record_is_replaced<S: Store>(store: S) {
    let key = unique_key("expired");
    let old = order(id_at(at_ms(0)), at_ms(0), OrderStatus::Pending);
    // Already expired at the time of the next request (at_ms(1)), though a
    // wall clock would find it live: the store must use the request's time.
    let stale = record(&key, &old, "old-hash", at_ms(0).timestamp());
    assert_eq!(
        store.create_order(&old, Some(&stale)).await.unwrap(),
        CreateOutcome::Created
    );
    let new = order(id_at(at_ms(1_000)), at_ms(1_000), OrderStatus::Pending);
    let fresh = record(&key, &new, "new-hash", at_ms(1_000).timestamp() + 3600);
    assert_eq!(
        store.create_order(&new, Some(&fresh)).await.unwrap(),
        CreateOutcome::Created
    );
    // The replacement is live now.
    let third = order(id_at(at_ms(2_000)), at_ms(2_000), OrderStatus::Pending);
    let rec3 = record(&key, &third, "new-hash", at_ms(2_000).timestamp() + 3600);
    assert_eq!(
        store.create_order(&third, Some(&rec3)).await.unwrap(),
        CreateOutcome::KeyExists(fresh)
    );
    assert_eq!(all_orders(&store).await, vec![new, old]);
}

/// A mixed data set: statuses, shards, equal timestamps.
fn mixed_orders() -> Vec<Order> {
    let statuses = [
        OrderStatus::Pending,
        OrderStatus::Completed,
        OrderStatus::Pending,
        OrderStatus::Failed,
        OrderStatus::Processing,
        OrderStatus::Pending,
        OrderStatus::Cancelled,
    ];
    (0..26)
        .map(|i| {
            // Pairs share a millisecond, so ties are broken by order id.
            let t = at_ms((i / 2) as i64 * 7);
            let id = id_in_shard(t, (i * 5 % STATUS_SHARDS as usize) as u8);
            order(id, t, statuses[i % statuses.len()])
        })
        .collect()
}

/// Listing by status and without, both orders, paged with limit 1, 3, 100:
/// the pages together are exactly the expected sequence.
pub async fn list_pages_in_exact_order<S: Store>(store: S) {
    let all = mixed_orders();
    create_all(&store, &all).await;
    for status in [
        None,
        Some(OrderStatus::Pending),
        Some(OrderStatus::Completed),
        Some(OrderStatus::Failed),
    ] {
        for dir in [SortOrder::Desc, SortOrder::Asc] {
            let want = expected(&all, status, dir);
            for limit in [1, 3, 100] {
                let got = collect_pages(&store, status, dir, limit).await;
                assert_eq!(
                    ids(&got),
                    ids(&want),
                    "status {status:?}, order {dir:?}, limit {limit}"
                );
                assert_eq!(got, want);
            }
        }
    }
    // A status with no orders at all.
    let page = store
        .list_orders(&query(
            Some(OrderStatus::Processing),
            SortOrder::Desc,
            10,
            None,
        ))
        .await
        .unwrap();
    assert!(page
        .orders
        .iter()
        .all(|o| o.status == OrderStatus::Processing));
    // Empty store listing in another fresh partition: a cursor past the end.
    let last = expected(&all, None, SortOrder::Asc)
        .pop()
        .unwrap()
        .sort_key();
    let page = store
        .list_orders(&query(None, SortOrder::Asc, 5, Some(last)))
        .await
        .unwrap();
    assert!(page.orders.is_empty());
    assert!(!page.has_more);
}

/// has_more is exact: a page of exactly `limit` remaining items says false.
pub async fn has_more_is_exact_at_the_boundary<S: Store>(store: S) {
    let page = store
        .list_orders(&query(None, SortOrder::Desc, 5, None))
        .await
        .unwrap();
    assert!(page.orders.is_empty() && !page.has_more, "empty store");

    let orders: Vec<Order> = (0..5)
        .map(|i| {
            let t = at_ms(i * 1000);
            order(id_in_shard(t, (i * 3) as u8), t, OrderStatus::Pending)
        })
        .collect();
    create_all(&store, &orders).await;
    // Another status must not count towards PENDING's has_more.
    let t = at_ms(10_000);
    let done = order(id_in_shard(t, 9), t, OrderStatus::Completed);
    create_all(&store, std::slice::from_ref(&done)).await;

    for dir in [SortOrder::Asc, SortOrder::Desc] {
        let p = store
            .list_orders(&query(Some(OrderStatus::Pending), dir, 5, None))
            .await
            .unwrap();
        assert_eq!(p.orders.len(), 5);
        assert!(
            !p.has_more,
            "exactly limit items: has_more must be false ({dir:?})"
        );
        let p = store
            .list_orders(&query(Some(OrderStatus::Pending), dir, 4, None))
            .await
            .unwrap();
        assert_eq!(p.orders.len(), 4);
        assert!(p.has_more, "limit+1 items: has_more must be true ({dir:?})");
        let p = store.list_orders(&query(None, dir, 6, None)).await.unwrap();
        assert_eq!(p.orders.len(), 6);
        assert!(!p.has_more);
        let p = store.list_orders(&query(None, dir, 5, None)).await.unwrap();
        assert!(p.has_more);
        // The cursor of the 3rd item leaves exactly 2 to go.
        let want = expected(&orders, None, dir);
        let p = store
            .list_orders(&query(
                Some(OrderStatus::Pending),
                dir,
                2,
                Some(want[2].sort_key()),
            ))
            .await
            .unwrap();
        assert_eq!(ids(&p.orders), ids(&want[3..]));
        assert!(!p.has_more);
    }
}

/// Many orders over all 16 shards with the same createdAt millisecond merge
/// in exact (createdAt, orderId) order, in both directions, across pages.
pub async fn shards_merge_in_exact_order<S: Store>(store: S) {
    let t = at_ms(0);
    let mut all: Vec<Order> = (0..48)
        .map(|i| {
            order(
                id_in_shard(t, (i % STATUS_SHARDS as usize) as u8),
                t,
                OrderStatus::Pending,
            )
        })
        .collect();
    // A few more a millisecond either side.
    for (i, off) in [-1i64, 1, 1, -1].into_iter().enumerate() {
        let ti = at_ms(off);
        all.push(order(
            id_in_shard(ti, (i * 7 % STATUS_SHARDS as usize) as u8),
            ti,
            OrderStatus::Pending,
        ));
    }
    let shards: HashSet<u8> = all.iter().map(|o| o.shard()).collect();
    assert_eq!(shards.len(), STATUS_SHARDS as usize);
    create_all(&store, &all).await;
    for status in [None, Some(OrderStatus::Pending)] {
        for dir in [SortOrder::Asc, SortOrder::Desc] {
            let want = ids(&expected(&all, status, dir));
            for limit in [5, 17, 100] {
                let got = ids(&collect_pages(&store, status, dir, limit).await);
                assert_eq!(got, want, "status {status:?}, order {dir:?}, limit {limit}");
            }
        }
    }
}

/// Eight concurrent creates with one idempotency key: exactly one is
/// Created, the others get that one's record, and one order is written.
pub async fn concurrent_creates_with_one_key<S: Store>(store: S) {
    let key = unique_key("race");
    let expires = now_epoch() + 3600;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let o = order(id_at(at_ms(i)), at_ms(i), OrderStatus::Pending);
            let rec = record(&key, &o, "same-hash", expires);
            tokio::spawn(async move {
                let outcome = store.create_order(&o, Some(&rec)).await;
                (rec, outcome)
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut replays = Vec::new();
    for t in tasks {
        let (rec, outcome) = t.await.expect("task");
        match outcome.expect("create") {
            CreateOutcome::Created => winners.push(rec),
            CreateOutcome::KeyExists(existing) => replays.push(existing),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create wins");
    assert_eq!(replays.len(), 7);
    for r in &replays {
        assert_eq!(r, &winners[0]);
    }
    let listed = all_orders(&store).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].order_id, winners[0].order_id);
}

// ---------------------------------------------------------------------------
// Status transitions (OrderStatusUpdater)
// ---------------------------------------------------------------------------

pub(crate) fn change(
    order: &Order,
    from: OrderStatus,
    to: OrderStatus,
    at_offset_ms: i64,
) -> StatusChange {
    StatusChange {
        detail: None,
        order_id: order.order_id,
        from,
        to,
        reason: None,
        at: at_ms(at_offset_ms),
    }
}

/// `order` after `change`: what a store must return and keep.
pub(crate) fn moved(order: &Order, change: &StatusChange) -> Order {
    let mut o = order.clone();
    o.status = change.to;
    o.status_reason = change.reason.clone();
    o.status_detail = change.detail.clone();
    o.updated_at = change.at;
    o
}

/// A PENDING order with every optional field (contacts included).
pub(crate) fn pending_full_order(offset_ms: i64) -> Order {
    let mut o = full_order(at_ms(offset_ms));
    o.status = OrderStatus::Pending;
    o.status_reason = None;
    o.status_detail = None;
    o
}

/// PENDING to PROCESSING moves once: the order after the move is returned
/// and stored (contacts kept); a second call changes nothing and returns the
/// order as it is; an unknown id is NotFound and creates nothing.
pub async fn transition_moves_once<S: Store>(store: S) {
    let o = pending_full_order(0);
    store.create_order(&o, None).await.unwrap();
    let first = change(&o, OrderStatus::Pending, OrderStatus::Processing, 5_000);
    let want = moved(&o, &first);
    assert_eq!(
        store.transition(&first).await.unwrap(),
        TransitionOutcome::Moved(want.clone())
    );
    assert_eq!(
        store.get_order(o.order_id).await.unwrap(),
        Some(want.clone())
    );
    assert_eq!(want.customer_email.as_deref(), Some("zoe@example.com"));
    assert_eq!(want.customer_phone.as_deref(), Some("+447700900123"));

    // A redelivery: Unchanged, and `updatedAt` stays the first move's.
    let again = change(&o, OrderStatus::Pending, OrderStatus::Processing, 9_000);
    assert_eq!(
        store.transition(&again).await.unwrap(),
        TransitionOutcome::Unchanged(want.clone())
    );
    assert_eq!(
        store.get_order(o.order_id).await.unwrap(),
        Some(want.clone())
    );

    // The next move of the lifecycle works from the new status.
    let done = change(&o, OrderStatus::Processing, OrderStatus::Completed, 12_000);
    let completed = moved(&want, &done);
    assert_eq!(
        store.transition(&done).await.unwrap(),
        TransitionOutcome::Moved(completed.clone())
    );

    // A clock with sub-millisecond digits: the returned order is the stored
    // one (stores keep milliseconds), so what a caller publishes from it is
    // what a reader later sees.
    let precise = pending_full_order(20);
    store.create_order(&precise, None).await.unwrap();
    let mut c = change(&precise, OrderStatus::Pending, OrderStatus::Cancelled, 0);
    c.at = at_ms(30_000) + chrono::Duration::nanoseconds(456_789);
    let TransitionOutcome::Moved(returned) = store.transition(&c).await.unwrap() else {
        panic!("not moved")
    };
    assert_eq!(returned.updated_at, at_ms(30_000));
    assert_eq!(
        store.get_order(precise.order_id).await.unwrap(),
        Some(returned.clone())
    );

    // Unknown id: NotFound, and no order appears.
    let ghost = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Pending);
    assert_eq!(
        store
            .transition(&change(
                &ghost,
                OrderStatus::Pending,
                OrderStatus::Processing,
                2_000
            ))
            .await
            .unwrap(),
        TransitionOutcome::NotFound
    );
    assert_eq!(store.get_order(ghost.order_id).await.unwrap(), None);
    assert_eq!(all_orders(&store).await, vec![returned, completed]);
}

/// An order in another status than `from` is Unchanged, returned as it is
/// and left as it is: a CANCELLED order is not processed, a COMPLETED one is
/// not cancelled, a PENDING one is not completed.
pub async fn transition_from_another_status_is_unchanged<S: Store>(store: S) {
    let cancelled = order(id_at(at_ms(0)), at_ms(0), OrderStatus::Cancelled);
    let completed = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Completed);
    let mut failed = order(id_at(at_ms(2)), at_ms(2), OrderStatus::Failed);
    failed.customer_phone = Some("+14155550100".into());
    let pending = order(id_at(at_ms(3)), at_ms(3), OrderStatus::Pending);
    create_all(
        &store,
        &[
            cancelled.clone(),
            completed.clone(),
            failed.clone(),
            pending.clone(),
        ],
    )
    .await;
    let attempts = [
        (&cancelled, OrderStatus::Pending, OrderStatus::Processing),
        (&completed, OrderStatus::Pending, OrderStatus::Cancelled),
        (&failed, OrderStatus::Processing, OrderStatus::Completed),
        (&pending, OrderStatus::Processing, OrderStatus::Completed),
    ];
    for (o, from, to) in attempts {
        let mut c = change(o, from, to, 10_000);
        c.reason = Some("must not be written".into());
        assert_eq!(
            store.transition(&c).await.unwrap(),
            TransitionOutcome::Unchanged(o.clone()),
            "{} from {from} to {to}",
            o.status
        );
        assert_eq!(store.get_order(o.order_id).await.unwrap().as_ref(), Some(o));
    }
    // The indexes did not move either.
    for o in [&cancelled, &completed, &failed, &pending] {
        let listed = collect_pages(&store, Some(o.status), SortOrder::Asc, 10).await;
        assert_eq!(listed, vec![o.clone()]);
    }
}

/// After moves, listing by status finds each order under its new status
/// only, in exact sort order, across shards and pages; the unfiltered list
/// shows the new statuses.
pub async fn transition_keeps_indexes_consistent<S: Store>(store: S) {
    let mut all: Vec<Order> = (0..20)
        .map(|i| {
            let t = at_ms((i / 2) as i64 * 3);
            order(
                id_in_shard(t, (i * 7 % STATUS_SHARDS as usize) as u8),
                t,
                OrderStatus::Pending,
            )
        })
        .collect();
    create_all(&store, &all).await;
    // Move every other order to PROCESSING, and one of those on to FAILED.
    for (i, o) in all.iter_mut().enumerate() {
        if i % 2 == 0 {
            continue;
        }
        let c = change(
            o,
            OrderStatus::Pending,
            OrderStatus::Processing,
            60_000 + i as i64,
        );
        let after = moved(o, &c);
        assert_eq!(
            store.transition(&c).await.unwrap(),
            TransitionOutcome::Moved(after.clone())
        );
        *o = after;
    }
    let mut c = change(
        &all[5],
        OrderStatus::Processing,
        OrderStatus::Failed,
        70_000,
    );
    c.reason = Some("payment declined".into());
    let failed = moved(&all[5], &c);
    assert_eq!(
        store.transition(&c).await.unwrap(),
        TransitionOutcome::Moved(failed.clone())
    );
    all[5] = failed;

    for status in [
        None,
        Some(OrderStatus::Pending),
        Some(OrderStatus::Processing),
        Some(OrderStatus::Failed),
        Some(OrderStatus::Completed),
    ] {
        for dir in [SortOrder::Asc, SortOrder::Desc] {
            let want = expected(&all, status, dir);
            for limit in [1, 3, 100] {
                let got = collect_pages(&store, status, dir, limit).await;
                assert_eq!(got, want, "status {status:?}, order {dir:?}, limit {limit}");
            }
        }
    }
    let processing =
        collect_pages(&store, Some(OrderStatus::Processing), SortOrder::Asc, 100).await;
    assert_eq!(processing.len(), 9);
    let pending = collect_pages(&store, Some(OrderStatus::Pending), SortOrder::Asc, 100).await;
    assert_eq!(pending.len(), 10);
    let moved_ids: HashSet<_> = processing.iter().map(|o| o.order_id).collect();
    assert!(pending.iter().all(|o| !moved_ids.contains(&o.order_id)));
}

/// A move with a reason stores it; a move without one removes the one the
/// order had.
pub async fn transition_sets_and_clears_the_reason<S: Store>(store: S) {
    let o = pending_full_order(0);
    let mut held = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Processing);
    held.status_reason = Some("awaiting stock".into());
    create_all(&store, &[o.clone(), held.clone()]).await;

    let start = change(&o, OrderStatus::Pending, OrderStatus::Processing, 1_000);
    let processing = moved(&o, &start);
    store.transition(&start).await.unwrap();
    let mut fail = change(&o, OrderStatus::Processing, OrderStatus::Failed, 2_000);
    fail.reason = Some("payment declined: card expired".into());
    let failed = moved(&processing, &fail);
    assert_eq!(
        failed.status_reason.as_deref(),
        Some("payment declined: card expired")
    );
    assert_eq!(
        store.transition(&fail).await.unwrap(),
        TransitionOutcome::Moved(failed.clone())
    );
    assert_eq!(
        store.get_order(o.order_id).await.unwrap(),
        Some(failed.clone())
    );
    assert_eq!(
        collect_pages(&store, Some(OrderStatus::Failed), SortOrder::Desc, 10).await,
        vec![failed]
    );

    let finish = change(
        &held,
        OrderStatus::Processing,
        OrderStatus::Completed,
        3_000,
    );
    let completed = moved(&held, &finish);
    assert_eq!(completed.status_reason, None);
    assert_eq!(
        store.transition(&finish).await.unwrap(),
        TransitionOutcome::Moved(completed.clone())
    );
    assert_eq!(
        store.get_order(held.order_id).await.unwrap(),
        Some(completed)
    );
}

/// Sixteen concurrent moves of one order: exactly one Moved; every other
/// caller sees the moved order, Unchanged.
pub async fn concurrent_transitions_move_once<S: Store>(store: S) {
    let o = pending_full_order(0);
    store.create_order(&o, None).await.unwrap();
    let c = change(&o, OrderStatus::Pending, OrderStatus::Processing, 1_000);
    let want = moved(&o, &c);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            let c = c.clone();
            tokio::spawn(async move { store.transition(&c).await })
        })
        .collect();
    let mut moves = 0;
    for t in tasks {
        match t.await.expect("task").expect("transition") {
            TransitionOutcome::Moved(got) => {
                moves += 1;
                assert_eq!(got, want);
            }
            TransitionOutcome::Unchanged(got) => assert_eq!(got, want),
            TransitionOutcome::NotFound => panic!("NotFound for an existing order"),
        }
    }
    assert_eq!(
        moves, 1,
        "exactly one concurrent transition moves the order"
    );
    assert_eq!(store.get_order(o.order_id).await.unwrap(), Some(want));
}

// ---------------------------------------------------------------------------
// The notification ledger (NotificationLedger)
// ---------------------------------------------------------------------------

const LEASE: Duration = Duration::from_secs(30);

fn after(t: chrono::DateTime<chrono::Utc>, ms: i64) -> chrono::DateTime<chrono::Utc> {
    t + chrono::Duration::milliseconds(ms)
}

/// The ledger's clock: now, to the millisecond (TTLs stay realistic).
fn ledger_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis()).unwrap()
}

/// Claim, complete, and every later claim is AlreadySent, whatever the
/// time; (order, status) pairs are independent.
pub async fn ledger_claim_complete_already_sent<S: Store>(store: S) {
    let o = pending_full_order(0);
    let other = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Pending);
    create_all(&store, &[o.clone(), other.clone()]).await;
    let (id, p) = (o.order_id, OrderStatus::Processing);
    let t0 = ledger_now();

    assert_eq!(store.claim(id, p, t0, LEASE).await.unwrap(), Claim::Claimed);
    store
        .complete(id, p, after(t0, 1_000), &[Channel::Email, Channel::Sms])
        .await
        .unwrap();
    for later_ms in [2_000, 31_000, 3_600_000] {
        assert_eq!(
            store
                .claim(id, p, after(t0, later_ms), LEASE)
                .await
                .unwrap(),
            Claim::AlreadySent,
            "{later_ms} ms later"
        );
    }
    // Completing again (a sender whose lease ran out finishing late) keeps it sent.
    store
        .complete(id, p, after(t0, 40_000), &[Channel::Log])
        .await
        .unwrap();
    assert_eq!(
        store.claim(id, p, after(t0, 50_000), LEASE).await.unwrap(),
        Claim::AlreadySent
    );

    // Another status of the same order, and the same status of another order.
    assert_eq!(
        store
            .claim(id, OrderStatus::Completed, t0, LEASE)
            .await
            .unwrap(),
        Claim::Claimed
    );
    assert_eq!(
        store.claim(other.order_id, p, t0, LEASE).await.unwrap(),
        Claim::Claimed
    );
    // An empty channel list is a valid completion.
    store.complete(other.order_id, p, t0, &[]).await.unwrap();
    assert_eq!(
        store.claim(other.order_id, p, t0, LEASE).await.unwrap(),
        Claim::AlreadySent
    );
}

/// A live lease makes other claims InFlight, up to and including its last
/// millisecond; after it, the next claim takes the entry over (its sender
/// died) and holds a new lease.
pub async fn ledger_lease_in_flight_then_taken_over<S: Store>(store: S) {
    let o = pending_full_order(0);
    store.create_order(&o, None).await.unwrap();
    let (id, s) = (o.order_id, OrderStatus::Cancelled);
    let t0 = ledger_now();

    assert_eq!(store.claim(id, s, t0, LEASE).await.unwrap(), Claim::Claimed);
    for ms in [0, 1_000, 29_999, 30_000] {
        assert_eq!(
            store.claim(id, s, after(t0, ms), LEASE).await.unwrap(),
            Claim::InFlight,
            "{ms} ms into a 30 s lease"
        );
    }
    // The lease ended: taken over, with a new lease from now.
    let t1 = after(t0, 30_001);
    assert_eq!(store.claim(id, s, t1, LEASE).await.unwrap(), Claim::Claimed);
    assert_eq!(
        store.claim(id, s, after(t1, 1_000), LEASE).await.unwrap(),
        Claim::InFlight
    );
    assert_eq!(
        store.claim(id, s, after(t1, 30_000), LEASE).await.unwrap(),
        Claim::InFlight
    );
    // The new holder completes: sent for good.
    store
        .complete(id, s, after(t1, 2_000), &[Channel::Email])
        .await
        .unwrap();
    assert_eq!(
        store.claim(id, s, after(t1, 120_000), LEASE).await.unwrap(),
        Claim::AlreadySent
    );
}

/// A refusal settles the entry like a completion: every later claim is
/// Refused; refusing a sent entry leaves it sent; a refusal can follow a
/// claim whose lease ran out.
pub async fn ledger_refused_is_settled_and_never_overrides_sent<S: Store>(store: S) {
    let o = pending_full_order(0);
    store.create_order(&o, None).await.unwrap();
    let (id, p, c) = (o.order_id, OrderStatus::Processing, OrderStatus::Completed);
    let t0 = ledger_now();

    assert_eq!(store.claim(id, p, t0, LEASE).await.unwrap(), Claim::Claimed);
    store
        .refuse(id, p, after(t0, 500), "MessageRejected")
        .await
        .unwrap();
    for later_ms in [1_000, 31_000, 3_600_000] {
        assert_eq!(
            store
                .claim(id, p, after(t0, later_ms), LEASE)
                .await
                .unwrap(),
            Claim::Refused,
            "{later_ms} ms later"
        );
    }
    // Refusing again is harmless.
    store
        .refuse(id, p, after(t0, 2_000), "InvalidParameter")
        .await
        .unwrap();
    assert_eq!(
        store.claim(id, p, after(t0, 3_000), LEASE).await.unwrap(),
        Claim::Refused
    );

    // Sent, then a late sender is refused: it stays sent.
    assert_eq!(store.claim(id, c, t0, LEASE).await.unwrap(), Claim::Claimed);
    store
        .complete(id, c, after(t0, 100), &[Channel::Email])
        .await
        .unwrap();
    store
        .refuse(id, c, after(t0, 200), "MessageRejected")
        .await
        .unwrap();
    assert_eq!(
        store.claim(id, c, after(t0, 300), LEASE).await.unwrap(),
        Claim::AlreadySent
    );
}

/// Sixteen concurrent claims of one (order, status): exactly one Claimed,
/// the others InFlight.
pub async fn concurrent_claims_one_winner<S: Store>(store: S) {
    let o = pending_full_order(0);
    store.create_order(&o, None).await.unwrap();
    let t0 = ledger_now();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            let id = o.order_id;
            tokio::spawn(async move { store.claim(id, OrderStatus::Processing, t0, LEASE).await })
        })
        .collect();
    let mut claims = Vec::new();
    for t in tasks {
        claims.push(t.await.expect("task").expect("claim"));
    }
    let won = claims.iter().filter(|c| **c == Claim::Claimed).count();
    let in_flight = claims.iter().filter(|c| **c == Claim::InFlight).count();
    assert_eq!((won, in_flight), (1, 15), "{claims:?}");
}

/// Ledger entries live next to the orders (on DynamoDB, in the same table)
/// but never show up as orders: not in any list, not in a get.
pub async fn ledger_items_are_never_listed<S: Store>(store: S) {
    let orders = vec![
        pending_full_order(0),
        order(id_at(at_ms(1)), at_ms(1), OrderStatus::Processing),
        order(id_at(at_ms(2)), at_ms(2), OrderStatus::Completed),
    ];
    create_all(&store, &orders).await;
    let t0 = ledger_now();
    // Entries for every status of every order, some sent, some in flight,
    // and one for an order that does not exist.
    for (i, o) in orders.iter().enumerate() {
        for (j, status) in OrderStatus::ALL.into_iter().enumerate() {
            assert_eq!(
                store.claim(o.order_id, status, t0, LEASE).await.unwrap(),
                Claim::Claimed
            );
            if (i + j) % 2 == 0 {
                store
                    .complete(o.order_id, status, t0, &[Channel::Email])
                    .await
                    .unwrap();
            }
        }
    }
    let ghost = id_at(at_ms(3));
    store
        .claim(ghost, OrderStatus::Processing, t0, LEASE)
        .await
        .unwrap();
    store
        .complete(ghost, OrderStatus::Processing, t0, &[Channel::Log])
        .await
        .unwrap();

    assert_eq!(store.get_order(ghost).await.unwrap(), None);
    for o in &orders {
        assert_eq!(store.get_order(o.order_id).await.unwrap().as_ref(), Some(o));
    }
    let statuses = std::iter::once(None).chain(OrderStatus::ALL.into_iter().map(Some));
    for status in statuses {
        for dir in [SortOrder::Asc, SortOrder::Desc] {
            let want = expected(&orders, status, dir);
            assert_eq!(
                collect_pages(&store, status, dir, 100).await,
                want,
                "{status:?} {dir:?}"
            );
            // has_more is not fooled by ledger items either.
            if !want.is_empty() {
                let page = store
                    .list_orders(&query(status, dir, want.len() as u32, None))
                    .await
                    .unwrap();
                assert!(!page.has_more, "{status:?} {dir:?}");
            }
        }
    }
}
