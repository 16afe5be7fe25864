//! The asynchronous pipeline of the local host, end to end over HTTP:
//! outbox → queue → processor → saga → status events → notifier,
//! cancellation, poison messages, and kill -9 twice in the middle of it all.

use http::{Method, StatusCode};
use orders_e2e_tests::client::{wait_for, Client};
use orders_e2e_tests::dlq::host_with_a_dead_letter;
use orders_e2e_tests::process::{load_and_kill, spawn_host};
use orders_e2e_tests::saga::{all_settled, assert_invariants, stock_up};
use orders_e2e_tests::{order_body, workspace_binary, Host};
use orders_local::pipeline::{PipelineConfig, ORDER_EVENTS_QUEUE};
use orders_local_aws::queue::{Queue, QueueConfig};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

fn pipeline(visibility_secs: u64) -> PipelineConfig {
    PipelineConfig {
        visibility_timeout: Duration::from_secs(visibility_secs),
        retry_wait_scale: 0.01,
        ..PipelineConfig::default()
    }
}

/// Every order settled (COMPLETED or FAILED) and was told exactly once of
/// PROCESSING and once of its final status.
async fn assert_each_settled_and_notified_once(c: &Client, expected: usize) {
    let statuses = c.statuses().await;
    assert_eq!(statuses.len(), expected);
    let notes = c.notifications().await;
    for (id, status) in &statuses {
        assert!(
            status == "COMPLETED" || status == "FAILED",
            "order {id} is {status}"
        );
        for s in ["PROCESSING", status.as_str()] {
            assert_eq!(
                notes.get(&(id.clone(), s.to_string())),
                Some(&1),
                "order {id}: one {s} notification"
            );
        }
    }
    assert_eq!(notes.len(), 2 * expected, "no other notifications");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_pending_then_the_processor_skips_it() {
    // API only first, so both orders stay PENDING until the pipeline runs.
    let host = Host::start().await;
    let a = host.post(&order_body("c-a", 1, "5.00")).await.json()["orderId"]
        .as_str()
        .unwrap()
        .to_string();
    let b = host.post(&order_body("c-b", 2, "5.00")).await.json()["orderId"]
        .as_str()
        .unwrap()
        .to_string();

    let cancel = |id: &str| format!("/orders/{id}/cancel");
    let r = host.call(Method::POST, &cancel(&a), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "CANCELLED");
    assert_eq!(r.json()["orderId"], a.as_str());

    let again = host.call(Method::POST, &cancel(&a), None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "INVALID_STATUS_TRANSITION");
    assert_eq!(again.fields(), ["status"]);

    let unknown = host
        .call(
            Method::POST,
            &cancel("019a1b2c-3d4e-7f00-8123-456789abcdef"),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        host.call(Method::POST, &cancel("nope"), None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        host.call(Method::GET, &cancel(&a), None).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        host.get(&format!("/orders/{a}")).await.json()["status"],
        "CANCELLED"
    );

    // Now the pipeline: b moves on, a is skipped; each is told once.
    let host = host.restart_with(Some(pipeline(5))).await;
    let c = Client::of(&host);
    wait_for("three notifications", Duration::from_secs(30), || {
        let c = c.clone();
        async move { c.notifications().await.len() >= 3 }
    })
    .await;
    let statuses = c.statuses().await;
    assert_eq!(statuses[&a], "CANCELLED");
    // SKU-1 is not stocked: b is charged, refunded and FAILED.
    assert_eq!(statuses[&b], "FAILED");
    let notes = c.notifications().await;
    assert_eq!(notes.get(&(a.clone(), "CANCELLED".into())), Some(&1));
    assert_eq!(notes.get(&(b.clone(), "PROCESSING".into())), Some(&1));
    assert_eq!(notes.get(&(b.clone(), "FAILED".into())), Some(&1));
    assert_eq!(notes.len(), 3, "{notes:?}");
    // Too late to cancel b.
    let late = host.call(Method::POST, &cancel(&b), None).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    host.server.stop().await.unwrap();
}

/// An e-mail the local notifier refuses for good (an address on `.invalid`,
/// as SES refuses with `MessageRejected`) is recorded as refused, once per
/// status, and acknowledged: nothing is dead-lettered, and the other order's
/// notifications flow as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_notification_is_recorded_and_acknowledged_not_dead_lettered() {
    use orders_core::model::OrderStatus;
    use orders_local::pipeline::NOTIFICATIONS_QUEUE;
    let host = Host::start_with_pipeline(pipeline(1)).await;
    let c = Client::of(&host);
    let refused = c
        .create_body(
            r#"{"customerId":"c-r","customerEmail":"ada@shop.invalid","items":[{"sku":"SKU-1","quantity":1,"price":"5.00"}]}"#,
        )
        .await
        .expect("201");
    let told = c
        .create_body(
            r#"{"customerId":"c-t","customerEmail":"bob@example.com","items":[{"sku":"SKU-1","quantity":1,"price":"5.00"}]}"#,
        )
        .await
        .expect("201");
    // SKU-1 is not stocked: both end FAILED, told of PROCESSING and FAILED.
    let store = orders_local::open_store(host.db()).unwrap();
    let id = uuid::Uuid::parse_str(&refused).unwrap();
    wait_for("both statuses refused", Duration::from_secs(30), || {
        let store = store.clone();
        async move {
            let mut refused = 0;
            for s in [OrderStatus::Processing, OrderStatus::Failed] {
                if let Ok(Some(e)) = store.ledger_entry(id, s).await {
                    refused += usize::from(e.state == orders_sqlite::ledger::REFUSED);
                }
            }
            refused == 2
        }
    })
    .await;
    wait_for(
        "the other order told twice",
        Duration::from_secs(30),
        || {
            let c = c.clone();
            let told = told.clone();
            async move {
                let notes = c.notifications().await;
                notes.keys().filter(|(id, _)| *id == told).count() == 2
            }
        },
    )
    .await;
    let entry = store
        .ledger_entry(id, OrderStatus::Failed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.error_code.as_deref(), Some("MessageRejected"));
    let notes = c.notifications().await;
    assert!(
        notes.keys().all(|(order, _)| *order != refused),
        "{notes:?}"
    );
    // Acknowledged: a failed invocation would leave its message in flight
    // for the notifications queue's visibility timeout (at least the 30 s
    // ledger lease), then dead-letter it after three receives.
    wait_for(
        "the notifications queue drained",
        Duration::from_secs(10),
        || {
            let c = c.clone();
            async move {
                let q = &c.queues().await["queues"][NOTIFICATIONS_QUEUE];
                q["inFlight"] == 0 && q["visible"] == 0
            }
        },
    )
    .await;
    let queues = c.queues().await;
    assert_eq!(
        queues["queues"][NOTIFICATIONS_QUEUE]["deadLetters"], 0,
        "{queues}"
    );
    host.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_dead_letter_after_three_receives_and_the_rest_flows() {
    let host = Host::start_with_pipeline(pipeline(1)).await;
    let c = Client::of(&host);
    // Two messages no order event could be: not JSON, and an unknown type.
    let side = orders_local::open_store(host.db()).unwrap();
    let queue = Queue::new(side, QueueConfig::new(ORDER_EVENTS_QUEUE)).unwrap();
    queue.send("this is not json").await.unwrap();
    queue
        .send(r#"{"eventType":"OrderShipped","eventVersion":1,"orderId":"x"}"#)
        .await
        .unwrap();
    for i in 0..3 {
        c.create(i).await.expect("201");
    }
    wait_for("two dead letters", Duration::from_secs(30), || {
        let c = c.clone();
        async move { c.queues().await["queues"][ORDER_EVENTS_QUEUE]["deadLetters"] == 2 }
    })
    .await;
    wait_for("six notifications", Duration::from_secs(30), || {
        let c = c.clone();
        async move { c.notifications().await.len() >= 6 }
    })
    .await;
    assert_each_settled_and_notified_once(&c, 3).await;
    let dead = queue.list_dead_letters().await.unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|d| d.receive_count == 3), "{dead:?}");
    host.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lettered_order_event_redriven_by_orders_admin_is_processed() {
    // Accept an order with the pipeline off, then fail its event three times
    // by hand so it lands in the dead-letter queue; the pipeline runs and
    // leaves the dead letter alone.
    let (host, id) = host_with_a_dead_letter(pipeline(1)).await;
    let db = host.db();
    let c = Client::of(&host);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(c.statuses().await[&id], "PENDING");
    assert_eq!(
        c.queues().await["queues"][ORDER_EVENTS_QUEUE]["deadLetters"],
        1
    );

    // The admin command moves it back while the host runs.
    let out = std::process::Command::new(workspace_binary("orders-admin"))
        .args(["dlq", "redrive", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let redriven: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(redriven["moved"], 1, "{redriven}");

    wait_for(
        "the redriven order to be processed and notified",
        Duration::from_secs(60),
        || {
            let c = c.clone();
            async move { c.notifications().await.len() == 2 }
        },
    )
    .await;
    assert_each_settled_and_notified_once(&c, 1).await;
    assert_eq!(
        c.queues().await["queues"][ORDER_EVENTS_QUEUE]["deadLetters"],
        0
    );
    host.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_twice_while_sagas_run_loses_nothing_and_moves_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    // Stock before the host's first start (so it seeds nothing else).
    let initial = stock_up(&orders_local::open_store(dir.path().join("orders.db")).unwrap()).await;
    // Two crashes while orders are created and their sagas run.
    let accepted = load_and_kill(dir.path(), 2, &[]).await;
    let mut child = spawn_host(dir.path(), 2, &[]).await;
    let accepted: HashSet<String> = accepted.into_iter().collect();
    assert!(accepted.len() > 50, "only {} orders got in", accepted.len());

    let c = child.client.clone();
    let start = Instant::now();
    loop {
        if all_settled(&c).await {
            break;
        }
        let statuses = c.statuses().await;
        if start.elapsed() > Duration::from_secs(120) {
            let mut by_status = BTreeMap::new();
            for s in statuses.values() {
                *by_status.entry(s.clone()).or_insert(0) += 1;
            }
            panic!(
                "timed out waiting for every order to settle and be notified: \
                 orders by status {by_status:?}, {} notifications, queues {}, logs in {}",
                c.notifications().await.len(),
                c.queues().await,
                dir.keep().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let statuses = c.statuses().await;
    for id in &accepted {
        assert!(
            statuses.contains_key(id),
            "order {id} got a 201 and was lost"
        );
    }
    // Orders committed whose 201 the kill swallowed are there too, and
    // settled like the rest, with every invariant of the saga.
    let outcomes = assert_invariants(&c, &initial).await;
    println!("outcomes after two kills: {outcomes:?}");
    let q = c.queues().await;
    assert_eq!(q["outbox"], 0, "{q}");
    for name in ["order-events", "order-notifications"] {
        assert_eq!(q["queues"][name]["deadLetters"], 0, "{q}");
    }
    child.kill_9();
}
