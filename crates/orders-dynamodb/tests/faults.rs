//! Faults injected under the DynamoDB store through the SDK's test tooling
//! (replay, never-answering and function HTTP clients): throttling and
//! service faults are retried by the SDK (3 attempts, counted), persistent
//! ones and timeouts end as `StoreError::Unavailable` (503 with
//! `Retry-After`, see lambdas/create-order/tests/faults.rs), and a write
//! whose answer was lost is not applied twice.

use chrono::Utc;
use orders_core::error::{OrdersError, StoreError};
use orders_dynamodb::test_util::{
    answer, error, hung_store, operations, replay, retryable_faults, store_on, throughput_exceeded,
    LostAnswers,
};
use orders_validation::create_order;
use serde_json::json;

const BODY: &[u8] =
    br#"{"customerId":"cust-42","items":[{"sku":"SKU-1","quantity":2,"price":"19.99"}]}"#;

#[tokio::test]
async fn throttling_then_success_is_retried_by_the_sdk() {
    let http = replay([
        throughput_exceeded(),
        error(400, "ThrottlingException"),
        answer(200, &json!({})),
    ]);
    let store = store_on(http.clone(), None);
    let created = create_order(&store, BODY, None, Utc::now())
        .await
        .expect("created after retries");
    assert_eq!(created.status_code, 201);
    assert!(!created.replayed);
    assert_eq!(operations(&http), ["PutItem", "PutItem", "PutItem"]);
}

#[tokio::test]
async fn persistent_throttling_and_faults_are_unavailable_after_three_attempts() {
    for fault in retryable_faults() {
        let http = replay((0..4).map(|_| fault()));
        let store = store_on(http.clone(), None);
        let err = create_order(&store, BODY, Some("key-1"), Utc::now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, OrdersError::Store(StoreError::Unavailable(_))),
            "{err:?}"
        );
        // The SDK's standard retries: 3 attempts, then the store gives up.
        assert_eq!(operations(&http), ["TransactWriteItems"; 3]);
    }
}

#[tokio::test]
async fn a_hung_service_times_out_as_unavailable() {
    let (store, http) = hung_store();
    let err = create_order(&store, BODY, None, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, OrdersError::Store(StoreError::Unavailable(ref d)) if d.contains("PutItem")),
        "{err:?}"
    );
    // Each attempt timed out and was retried.
    assert_eq!(http.num_calls(), 3);
}

#[tokio::test]
async fn a_put_whose_answer_was_lost_is_written_once() {
    let table = LostAnswers::new(1);
    let store = store_on(table.client(), None);
    let created = create_order(&store, BODY, None, Utc::now())
        .await
        .expect("created");
    assert_eq!(created.status_code, 201);
    // Applied by the first attempt; the retry failed its condition on the
    // very item it wrote, which the store recognises.
    assert_eq!(
        table.writes(),
        [("PutItem".into(), true), ("PutItem".into(), false)]
    );
    assert_eq!(table.item_count(), 1);
}

#[tokio::test]
async fn a_transaction_whose_answer_was_lost_is_written_once() {
    let table = LostAnswers::new(1);
    let store = store_on(table.client(), None);
    let created = create_order(&store, BODY, Some("key-lost"), Utc::now())
        .await
        .expect("created");
    assert_eq!(created.status_code, 201);
    // The SDK's retry carried the same ClientRequestToken: acknowledged, not applied.
    let t = || "TransactWriteItems".to_string();
    assert_eq!(table.writes(), [(t(), true), (t(), false)]);
    // The order and its idempotency record, once each.
    assert_eq!(table.item_count(), 2);

    // The client's own retry (same key, after the 503 it might have seen)
    // gets the first order back and writes nothing.
    let again = create_order(&store, BODY, Some("key-lost"), Utc::now())
        .await
        .expect("replayed");
    assert!(again.replayed);
    assert_eq!(again.order_id, created.order_id);
    assert_eq!(table.item_count(), 2);
    assert_eq!(
        table
            .writes()
            .iter()
            .filter(|(_, applied)| *applied)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_charge_intent_whose_answer_was_lost_is_written_once() {
    use orders_core::payments::{payment_id, ChargeStart, Payment, PaymentStatus};
    use orders_core::ports::PaymentLedger;
    let table = LostAnswers::new(1);
    let store = store_on(table.client(), None);
    let order_id = uuid::Uuid::now_v7();
    let intent = Payment {
        payment_id: payment_id(order_id),
        order_id,
        amount: rust_decimal::Decimal::new(1999, 2),
        currency: "EUR".into(),
        status: PaymentStatus::Charging,
        provider_ref: None,
        decline_code: None,
        refund: None,
        created_at: orders_core::model::truncate_to_millis(Utc::now()),
    };
    // The fence's ConditionCheck and the intent's Put in one transaction;
    // the SDK's retry carries the same ClientRequestToken, so it is
    // acknowledged without being applied again.
    assert_eq!(
        store.begin_charge(&intent).await.expect("begun"),
        ChargeStart::Begun(intent.clone())
    );
    let t = || "TransactWriteItems".to_string();
    assert_eq!(table.writes(), [(t(), true), (t(), false)]);
    assert_eq!(table.item_count(), 1);
}
