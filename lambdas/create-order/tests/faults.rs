//! `POST /orders` on a DynamoDB store whose client meets injected faults
//! (the SDK's test tooling, orders_dynamodb::test_util): after the SDK's
//! retries, a throttled, failing or hung table is a 503 with `Retry-After`,
//! never a 500; a create whose answer was lost is answered once, as created.

use create_order::handler::handle;
use orders_dynamodb::test_util::{
    hung_store, operations, replay, retryable_faults, store_on, LostAnswers,
};
use orders_dynamodb::DynamoStore;
use orders_test_support::events::{self, request, with_header, Answer};
use serde_json::Value;

fn post(key: &str) -> Value {
    let v = events::fixture(env!("CARGO_MANIFEST_DIR"), "post-orders.json");
    with_header(v, "Idempotency-Key", key)
}

async fn call(store: &DynamoStore, key: &str) -> Answer {
    Answer::of(
        handle(store, request(post(key)))
            .await
            .expect("handlers answer"),
    )
}

fn assert_retry_later(a: &Answer) {
    assert_eq!(a.status, 503, "{}", a.raw);
    assert_eq!(a.headers["retry-after"], "1");
    assert_eq!(a.body["error"]["code"], "SERVICE_UNAVAILABLE");
    // Nothing of the SDK's error leaks.
    assert!(
        !a.raw.contains("injected") && !a.raw.contains("Throughput"),
        "{}",
        a.raw
    );
}

#[tokio::test]
async fn persistent_throttling_and_faults_answer_503_with_retry_after() {
    for fault in retryable_faults() {
        let http = replay((0..3).map(|_| fault()));
        let store = store_on(http.clone(), None);
        assert_retry_later(&call(&store, "k-throttled").await);
        assert_eq!(operations(&http).len(), 3, "the SDK retried first");
    }
}

#[tokio::test]
async fn a_hung_table_answers_503_with_retry_after() {
    let (store, http) = hung_store();
    assert_retry_later(&call(&store, "k-hung").await);
    assert_eq!(http.num_calls(), 3);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_created_once() {
    let table = LostAnswers::new(1);
    let store = store_on(table.client(), None);
    let first = call(&store, "k-lost").await;
    assert_eq!(first.status, 201, "{}", first.raw);
    assert!(first.headers.get("retry-after").is_none());
    // The client retries anyway (it could not know): the same order back.
    let again = call(&store, "k-lost").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["orderId"], first.body["orderId"]);
    assert_eq!(table.item_count(), 2, "one order and its record");
    assert_eq!(
        table
            .writes()
            .iter()
            .filter(|(_, applied)| *applied)
            .count(),
        1
    );
}
