//! The order saga end to end on the local host: 1,000 orders with every
//! payment token and a SKU that runs out, then every invariant: each order
//! COMPLETED or FAILED with the right reason, stock never below zero and
//! reserved exactly for the completed orders, one refund per charged
//! failure, nothing charged twice, one notification per status.

use orders_e2e_tests::client::{wait_for, Client};
use orders_e2e_tests::saga::{assert_invariants, mixed_order, stock_up};
use orders_e2e_tests::Host;
use orders_local::pipeline::PipelineConfig;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_orders_with_every_token_settle_and_keep_the_invariants() {
    // Stock first, with the API only; then the pipeline and the saga.
    let host = Host::start().await;
    let initial = stock_up(&orders_local::open_store(host.db()).unwrap()).await;
    let host = host
        .restart_with(Some(PipelineConfig {
            visibility_timeout: Duration::from_secs(10),
            retry_wait_scale: 0.001,
            ..PipelineConfig::default()
        }))
        .await;
    let c = Client::of(&host);
    let mut tasks = Vec::new();
    for w in 0..16 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (w..1000).step_by(16) {
                ids.push(c.create_body(&mixed_order(i)).await.expect("201"));
            }
            ids
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    assert_eq!(ids.len(), 1000);

    let c2 = c.clone();
    wait_for("every order to settle", Duration::from_secs(300), || {
        let c = c2.clone();
        async move { orders_e2e_tests::saga::all_settled(&c).await }
    })
    .await;
    let outcomes = assert_invariants(&c, &initial).await;
    println!("outcomes: {outcomes:?}");
    // Every path was taken.
    for path in orders_load::mix::PATHS {
        assert!(
            outcomes.get(path).copied().unwrap_or(0) > 0,
            "no order took {path}: {outcomes:?}"
        );
    }
    let q = c.queues().await;
    assert_eq!(q["outbox"], 0, "{q}");
    for name in ["order-events", "order-notifications"] {
        assert_eq!(q["queues"][name]["deadLetters"], 0, "{q}");
    }
    host.server.stop().await.unwrap();
}
