//! A host whose order event sits in the dead-letter queue: an order is
//! accepted with the pipeline off, its event dispatched and received three
//! times by hand (never deleted), so the next receive dead-letters it; then
//! the host starts again on the same database with the pipeline.

use crate::client::Client;
use crate::Host;
use orders_local::pipeline::PipelineConfig;
use std::time::Duration;

/// The order that is dead-lettered: one of a seeded SKU, so it completes
/// once redriven.
pub const DEAD_LETTERED_ORDER: &str =
    r#"{"customerId":"dlq-1","items":[{"sku":"laptop","quantity":1,"price":"999.99"}]}"#;

/// The running host (with `pipeline`) and the id of the order
/// ([`DEAD_LETTERED_ORDER`]) whose `OrderCreated` is the one dead letter of
/// the order-events queue.
pub async fn host_with_a_dead_letter(pipeline: PipelineConfig) -> (Host, String) {
    let host = Host::start().await;
    let id = Client::of(&host)
        .create_body(DEAD_LETTERED_ORDER)
        .await
        .expect("201");
    let db = host.db();
    host.server.stop().await.unwrap();
    let side = orders_local::open_store(&db).unwrap();
    let (queue, notifications) = orders_local::pipeline::queues(&side).unwrap();
    let route = orders_local_aws::dispatcher::Route::new(queue.clone(), notifications);
    assert_eq!(
        orders_local_aws::dispatcher::dispatch(&route, 10)
            .await
            .unwrap(),
        1
    );
    for _ in 0..3 {
        let got = queue
            .receive(10, Duration::ZERO, Duration::from_millis(1))
            .await
            .unwrap();
        assert_eq!(got.len(), 1);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(queue
        .receive(10, Duration::ZERO, Duration::from_millis(1))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(queue.list_dead_letters().await.unwrap().len(), 1);
    drop(side);
    let host = Host {
        server: orders_local::Server::start(
            &orders_local::Config {
                pipeline: Some(pipeline),
                ..orders_local::Config::new(&db)
            },
            0,
        )
        .await
        .unwrap(),
        dir: host.dir,
    };
    (host, id)
}
