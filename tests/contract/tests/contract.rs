//! Runs every case of the contract suite against every backend.

use orders_contract_tests::{backends, cases};

/// One `#[tokio::test]` per case for a backend. `$make` is an async block
/// yielding `Option<store>` (`None`: backend not configured, test skipped).
macro_rules! contract_suite {
    ($backend:ident, |$name:ident| $make:expr) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;
            contract_suite!(@cases $make, $name;
                create_then_get_round_trips,
                get_unknown_is_none,
                create_existing_id_conflicts,
                idempotency_key_replays,
                expired_record_is_replaced,
                list_pages_in_exact_order,
                has_more_is_exact_at_the_boundary,
                shards_merge_in_exact_order,
                concurrent_creates_with_one_key,
                transition_moves_once,
                transition_from_another_status_is_unchanged,
                transition_keeps_indexes_consistent,
                transition_sets_and_clears_the_reason,
                concurrent_transitions_move_once,
                ledger_claim_complete_already_sent,
                ledger_lease_in_flight_then_taken_over,
                ledger_refused_is_settled_and_never_overrides_sent,
                concurrent_claims_one_winner,
                ledger_items_are_never_listed,
                transition_writes_one_valid_event,
                unchanged_transition_writes_no_event,
                payment_first_charge_wins,
                payment_refund_once,
                payment_refund_of_a_declined_charge_changes_nothing,
                attempt_counter_counts_per_key,
                stock_set_get_list_seed,
                reserve_is_all_or_nothing,
                reserve_twice_changes_nothing,
                release_once_then_nothing,
                last_unit_goes_to_exactly_one_order,
                twenty_reservations_over_five_units,
                reserve_takes_ninety_eight_skus,
                compensation_begins_only_while_processing,
                a_compensating_order_never_completes,
                completion_and_compensation_race_one_wins,
                charge_intent_is_behind_the_fence,
                two_executions_charging_one_order_record_one_intent,
                charge_intent_and_compensation_race,
                reservation_is_behind_the_fence,
                reservation_and_compensation_race,
                a_voided_key_counts_no_more,
            );
        }
    };
    (@cases $make:expr, $name:ident; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let $name = concat!(module_path!(), "::", stringify!($case));
                #[allow(clippy::redundant_closure_call)]
                let made = $make;
                let Some((store, _guard)) = made.await else { return };
                cases::$case(store).await;
            }
        )*
    };
}

contract_suite!(sqlite_memory, |_name| async {
    Some((backends::sqlite_memory(), ()))
});

contract_suite!(sqlite_file, |_name| async {
    let db = backends::TempDb::new();
    let store = orders_sqlite::SqliteStore::open(&db.path).expect("open sqlite file");
    Some((store, db))
});

contract_suite!(dynamodb, |name| async move {
    backends::dynamodb(name).await.map(|s| (s, ()))
});

/// The file store keeps its data across a close and reopen.
#[tokio::test]
async fn sqlite_file_is_durable_across_reopen() {
    use orders_core::ports::{CreateOutcome, ListQuery, OrderLister, OrderReader, OrderWriter};
    let db = backends::TempDb::new();
    let o = orders_contract_tests::fixtures::full_order(orders_contract_tests::fixtures::at_ms(0));
    let key = "durable-key";
    let rec =
        orders_contract_tests::fixtures::record(key, &o, "h", chrono::Utc::now().timestamp() + 60);
    {
        let store = orders_sqlite::SqliteStore::open(&db.path).unwrap();
        assert_eq!(
            store.create_order(&o, Some(&rec)).await.unwrap(),
            CreateOutcome::Created
        );
    }
    let store = orders_sqlite::SqliteStore::open(&db.path).unwrap();
    assert_eq!(store.path(), Some(db.path.as_path()));
    assert_eq!(store.get_order(o.order_id).await.unwrap(), Some(o.clone()));
    let page = store
        .list_orders(&ListQuery {
            status: None,
            limit: 10,
            order: Default::default(),
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(page.orders, vec![o.clone()]);
    let again = orders_contract_tests::fixtures::order(
        orders_contract_tests::fixtures::id_at(orders_contract_tests::fixtures::at_ms(1)),
        orders_contract_tests::fixtures::at_ms(1),
        orders_core::OrderStatus::Pending,
    );
    assert_eq!(
        store.create_order(&again, Some(&rec)).await.unwrap(),
        CreateOutcome::KeyExists(rec)
    );
}

/// A PROCESSING order with every optional field (a reason and a detail left
/// from before), and its move to COMPLETED, with neither.
fn processing_and_its_completion() -> (orders_core::Order, orders_core::ports::StatusChange) {
    use orders_contract_tests::fixtures::{at_ms, full_order};
    use orders_core::OrderStatus;
    let mut o = full_order(at_ms(0));
    o.status = OrderStatus::Processing;
    let change = orders_core::ports::StatusChange {
        detail: None,
        order_id: o.order_id,
        from: OrderStatus::Processing,
        to: OrderStatus::Completed,
        reason: None,
        at: at_ms(5_000),
    };
    (o, change)
}

/// The DynamoDB items are laid out exactly as docs/data-model.md says.
#[tokio::test]
async fn dynamodb_item_layout_matches_the_data_model() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use orders_core::ports::OrderWriter;
    let Some(store) = backends::dynamodb("dynamodb_item_layout_matches_the_data_model").await
    else {
        return;
    };
    let o = orders_contract_tests::fixtures::full_order(orders_contract_tests::fixtures::at_ms(0));
    let rec = orders_contract_tests::fixtures::record("layout-key", &o, "h", 1_900_000_000);
    store.create_order(&o, Some(&rec)).await.unwrap();
    let item = store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(orders_dynamodb::order_key(o.order_id)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("order item");
    let s = |k: &str| match item.get(k) {
        Some(A::S(v)) => v.clone(),
        other => panic!("{k}: {other:?}"),
    };
    let shard = format!("{:02}", o.shard());
    assert_eq!(s("pk"), format!("ORDER#{}", o.order_id));
    assert_eq!(s("sk"), "ORDER");
    assert_eq!(s("orderId"), o.order_id.to_string());
    assert_eq!(s("total"), "1030.07");
    assert_eq!(s("status"), "FAILED");
    assert_eq!(s("createdAt"), "2026-11-18T11:06:40.123Z");
    assert_eq!(s("gsi1pk"), format!("STATUS#FAILED#{shard}"));
    assert_eq!(s("gsi2pk"), format!("ORDERS#{shard}"));
    assert_eq!(s("gsi1sk"), o.sort_key());
    assert_eq!(s("gsi2sk"), o.sort_key());
    assert_eq!(s("customerEmail"), "zoe@example.com");
    let Some(A::L(lines)) = item.get("items") else {
        panic!("items")
    };
    let Some(A::M(first)) = lines.first() else {
        panic!("line")
    };
    assert_eq!(first.get("price"), Some(&A::S("333.33".into())));
    assert_eq!(first.get("lineTotal"), Some(&A::S("999.99".into())));
    assert_eq!(first.get("quantity"), Some(&A::N("3".into())));
    assert_eq!(first.get("sku"), Some(&A::S("SKU-A".into())));

    let rec_item = store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(orders_dynamodb::record_key("layout-key")))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("record item");
    assert_eq!(
        rec_item.get("pk"),
        Some(&A::S("IDEMPOTENCY#layout-key".into()))
    );
    assert_eq!(rec_item.get("sk"), Some(&A::S("IDEMPOTENCY".into())));
    assert_eq!(rec_item.get("expiresAt"), Some(&A::N("1900000000".into())));
    assert_eq!(rec_item.get("statusCode"), Some(&A::N("201".into())));
    assert_eq!(rec_item.get("orderId"), Some(&A::S(o.order_id.to_string())));
    assert_eq!(rec_item.get("requestHash"), Some(&A::S("h".into())));
}

/// A status move rewrites exactly the status attributes and the `byStatus`
/// partition (same shard); a ledger item has its own key and no index
/// attributes (docs/data-model.md).
#[tokio::test]
async fn dynamodb_transition_and_ledger_layout_match_the_data_model() {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    use orders_core::notification::Channel;
    use orders_core::ports::{NotificationLedger, OrderStatusUpdater, OrderWriter};
    use orders_core::OrderStatus;
    let Some(store) =
        backends::dynamodb("dynamodb_transition_and_ledger_layout_match_the_data_model").await
    else {
        return;
    };
    let get = |key| {
        let store = store.clone();
        async move {
            store
                .client()
                .get_item()
                .table_name(store.table())
                .set_key(Some(key))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
        }
    };
    let (o, change) = processing_and_its_completion();
    store.create_order(&o, None).await.unwrap();
    let before = get(orders_dynamodb::order_key(o.order_id)).await.unwrap();
    store.transition(&change).await.unwrap();
    let item = get(orders_dynamodb::order_key(o.order_id)).await.unwrap();
    let shard = format!("{:02}", o.shard());
    assert_eq!(item.get("status"), Some(&A::S("COMPLETED".into())));
    assert_eq!(
        item.get("gsi1pk"),
        Some(&A::S(format!("STATUS#COMPLETED#{shard}")))
    );
    assert_eq!(
        item.get("updatedAt"),
        Some(&A::S("2026-11-18T11:06:45.123Z".into()))
    );
    assert!(!item.contains_key("statusReason"));
    assert!(!item.contains_key("statusDetail"));
    // The move's event rides on the item, for the stream's MODIFY record.
    let Some(A::S(event)) = item.get("statusEvent") else {
        panic!("no statusEvent: {item:?}")
    };
    assert_eq!(
        orders_validation::events::parse_event(event).unwrap(),
        orders_core::events::OrderEvent::from(change.event().unwrap())
    );
    // Everything else is as it was.
    let rewritten = [
        "status",
        "gsi1pk",
        "updatedAt",
        "statusReason",
        "statusDetail",
        "statusEvent",
    ];
    for (k, v) in &before {
        if !rewritten.contains(&k.as_str()) {
            assert_eq!(item.get(k), Some(v), "{k}");
        }
    }
    assert_eq!(item.len(), before.len() - 1);

    let t0 = chrono::DateTime::from_timestamp_millis(1_900_000_000_000).unwrap();
    let key = orders_dynamodb::notification_key(o.order_id, OrderStatus::Cancelled);
    store
        .claim(
            o.order_id,
            OrderStatus::Cancelled,
            t0,
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
    let claimed = get(key.clone()).await.expect("ledger item");
    assert_eq!(
        claimed.get("pk"),
        Some(&A::S(format!("NOTIFICATION#{}#CANCELLED", o.order_id)))
    );
    assert_eq!(claimed.get("sk"), Some(&A::S("NOTIFICATION".into())));
    assert_eq!(claimed.get("state"), Some(&A::S("SENDING".into())));
    assert_eq!(
        claimed.get("leaseUntil"),
        Some(&A::N("1900000030000".into()))
    );
    assert_eq!(
        claimed.get("expiresAt"),
        Some(&A::N((1_900_000_000 + 90 * 86_400).to_string()))
    );
    assert_eq!(claimed.get("orderId"), Some(&A::S(o.order_id.to_string())));
    assert_eq!(claimed.get("orderStatus"), Some(&A::S("CANCELLED".into())));
    for k in ["gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "status"] {
        assert!(!claimed.contains_key(k), "ledger item has {k}");
    }
    store
        .complete(
            o.order_id,
            OrderStatus::Cancelled,
            t0 + chrono::Duration::milliseconds(1_500),
            &[Channel::Email, Channel::Sms],
        )
        .await
        .unwrap();
    let sent = get(key).await.expect("ledger item");
    assert_eq!(sent.get("state"), Some(&A::S("SENT".into())));
    assert_eq!(
        sent.get("sentAt"),
        Some(&A::S("2030-03-17T17:46:41.500Z".into()))
    );
    assert_eq!(
        sent.get("channels"),
        Some(&A::L(vec![A::S("email".into()), A::S("sms".into())]))
    );
    assert!(!sent.contains_key("leaseUntil"));
    for k in ["gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "status"] {
        assert!(!sent.contains_key(k), "ledger item has {k}");
    }

    // A refusal: its own state, time and code, no lease.
    let key = orders_dynamodb::notification_key(o.order_id, OrderStatus::Completed);
    store
        .claim(
            o.order_id,
            OrderStatus::Completed,
            t0,
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
    store
        .refuse(
            o.order_id,
            OrderStatus::Completed,
            t0 + chrono::Duration::milliseconds(1_500),
            "MessageRejected",
        )
        .await
        .unwrap();
    let refused = get(key).await.expect("ledger item");
    assert_eq!(refused.get("state"), Some(&A::S("REFUSED".into())));
    assert_eq!(
        refused.get("refusedAt"),
        Some(&A::S("2030-03-17T17:46:41.500Z".into()))
    );
    assert_eq!(
        refused.get("errorCode"),
        Some(&A::S("MessageRejected".into()))
    );
    assert_eq!(refused.get("orderStatus"), Some(&A::S("COMPLETED".into())));
    assert!(!refused.contains_key("leaseUntil"));
    assert!(!refused.contains_key("channels"));
}

/// The embedded store keeps its `status` column (what lists filter on) and
/// the order document in step through status moves.
#[tokio::test]
async fn sqlite_status_column_follows_transitions() {
    use orders_core::ports::{OrderStatusUpdater, OrderWriter};
    let store = backends::sqlite_memory();
    let (o, change) = processing_and_its_completion();
    store.create_order(&o, None).await.unwrap();
    store.transition(&change).await.unwrap();
    let id = o.order_id.to_string();
    let (column, doc, phone): (String, String, Option<String>) = store
        .with_reader(move |c| {
            c.query_row(
                "SELECT status, doc, customer_phone FROM orders WHERE order_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(column, "COMPLETED");
    assert!(doc.contains(r#""status":"COMPLETED""#), "{doc}");
    assert!(
        doc.contains(r#""updatedAt":"2026-11-18T11:06:45.123Z""#),
        "{doc}"
    );
    assert!(!doc.contains("statusReason"), "{doc}");
    assert!(!doc.contains("statusDetail"), "{doc}");
    // Contacts live in their own columns, never in the document.
    assert!(
        !doc.contains("+447700900123") && !doc.contains("zoe@"),
        "{doc}"
    );
    assert_eq!(phone.as_deref(), Some("+447700900123"));
}

/// An endpoint nobody listens on is `Unavailable` (503), not a 500.
#[tokio::test]
async fn dynamodb_unreachable_is_unavailable() {
    use orders_core::ports::OrderReader;
    use orders_core::StoreError;
    // Bind and drop a listener: the port is free and closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = backends::dynamodb_client(&format!("http://127.0.0.1:{port}"));
    let store = orders_dynamodb::DynamoStore::new(client, "nowhere");
    let err = store
        .get_order(orders_contract_tests::fixtures::id_at(
            orders_contract_tests::fixtures::at_ms(0),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
}

/// Not a contract: a quick look at the file store's create rate.
/// `cargo test -p orders-contract-tests --release -- --ignored --nocapture sqlite_file_create_rate`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn sqlite_file_create_rate() {
    use orders_contract_tests::fixtures::{id_at, now_epoch, order, record, unique_key};
    use orders_core::ports::OrderWriter;
    let db = backends::TempDb::new();
    let store = orders_sqlite::SqliteStore::open(&db.path).unwrap();
    let n_tasks = 64;
    let per_task = 200;
    let start = std::time::Instant::now();
    let tasks: Vec<_> = (0..n_tasks)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per_task);
                for _ in 0..per_task {
                    let t = chrono::Utc::now();
                    let o = order(id_at(t), t, orders_core::OrderStatus::Pending);
                    let rec = record(&unique_key("bench"), &o, "h", now_epoch() + 86_400);
                    let s = std::time::Instant::now();
                    store.create_order(&o, Some(&rec)).await.unwrap();
                    lat.push(s.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort();
    let p = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    println!(
        "{} creates (with idempotency record) in {secs:.2}s: {:.0}/s; p50 {:?}, p99 {:?} at {n_tasks} in flight",
        all.len(),
        all.len() as f64 / secs,
        p(0.5),
        p(0.99)
    );
}
