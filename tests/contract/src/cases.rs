//! The cases. Each takes a fresh, empty store.

use crate::fixtures::*;
use crate::Store;
use orders_core::error::StoreError;
use orders_core::model::{Order, OrderStatus, STATUS_SHARDS};
use orders_core::ports::{CreateOutcome, ListQuery, SortOrder};
use std::collections::HashSet;

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

async fn create_all<S: Store>(store: &S, orders: &[Order]) {
    // A few at a time: realistic, and quicker on a remote-ish endpoint.
    for chunk in orders.chunks(8) {
        let results =
            futures::future::join_all(chunk.iter().map(|o| store.create_order(o, None))).await;
        for r in results {
            assert_eq!(r.expect("create"), CreateOutcome::Created);
        }
    }
}

/// Every order in the store, newest first, by paging with limit 100.
async fn all_orders<S: Store>(store: &S) -> Vec<Order> {
    collect_pages(store, None, SortOrder::Desc, 100).await
}

/// Walks every page of a listing and checks page sizes and `has_more`.
async fn collect_pages<S: Store>(
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
        assert_eq!(got.created_at, o.created_at);
        assert_eq!(got.updated_at, o.updated_at);
    }
    assert_eq!(full_order(at_ms(0)).total.to_string(), "1030.07");
    // Listing returns the same full orders.
    let listed = all_orders(&store).await;
    assert_eq!(listed, vec![minimal, full]);
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

/// An expired record counts as absent and is replaced.
pub async fn expired_record_is_replaced<S: Store>(store: S) {
    let key = unique_key("expired");
    let old = order(id_at(at_ms(0)), at_ms(0), OrderStatus::Pending);
    let stale = record(&key, &old, "old-hash", now_epoch() - 60);
    assert_eq!(
        store.create_order(&old, Some(&stale)).await.unwrap(),
        CreateOutcome::Created
    );
    let new = order(id_at(at_ms(1)), at_ms(1), OrderStatus::Pending);
    let fresh = record(&key, &new, "new-hash", now_epoch() + 3600);
    assert_eq!(
        store.create_order(&new, Some(&fresh)).await.unwrap(),
        CreateOutcome::Created
    );
    // The replacement is live now.
    let third = order(id_at(at_ms(2)), at_ms(2), OrderStatus::Pending);
    let rec3 = record(&key, &third, "new-hash", now_epoch() + 3600);
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
