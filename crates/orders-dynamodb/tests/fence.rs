//! The saga's fence on DynamoDB: what the store asks (replayed answers,
//! always run) and what it does on a real table (moto or DynamoDB Local at
//! `ORDERS_TEST_DYNAMODB_ENDPOINT`, skipped without one; with
//! `ORDERS_REQUIRE_DYNAMODB=1` a missing endpoint fails instead).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use orders_core::error::StoreError;
use orders_core::inventory::{ReservationLine, ReserveOutcome};
use orders_core::model::{parse_timestamp, Order, OrderItem, OrderStatus};
use orders_core::payments::{payment_id, ChargeStart, DeclineCode, Payment, PaymentStatus};
use orders_core::ports::{AttemptCounter, PaymentLedger};
use orders_core::ports::{
    CompensationStart, OrderReader, OrderStatusUpdater, OrderWriter, SagaFence, StatusChange,
    TransitionOutcome,
};
use orders_core::ports::{Inventory, StockAdmin};
use orders_dynamodb::test_util::{
    answer, condition_failed, operations, replay, request_bodies, store_on, transaction_cancelled,
};
use orders_dynamodb::{order_key, AwsEnv, DynamoStore};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

const FENCE: &str = "attribute_not_exists(compensationStartedAt)";

fn at(s: &str) -> DateTime<Utc> {
    parse_timestamp(s).expect("a timestamp")
}

fn intent(order_id: Uuid) -> Payment {
    Payment {
        payment_id: payment_id(order_id),
        order_id,
        amount: Decimal::new(3998, 2),
        currency: "EUR".into(),
        status: PaymentStatus::Charging,
        provider_ref: None,
        decline_code: None,
        refund: None,
        created_at: at("2026-11-22T02:01:33.123Z"),
    }
}

/// The intent as DynamoDB JSON, as a `GetItem` returns it.
fn intent_json(order_id: Uuid) -> Value {
    json!({
        "pk": {"S": format!("PAYMENT#{order_id}")}, "sk": {"S": "PAYMENT"},
        "paymentId": {"S": payment_id(order_id)}, "orderId": {"S": order_id.to_string()},
        "amount": {"S": "39.98"}, "currency": {"S": "EUR"}, "status": {"S": "CHARGING"},
        "createdAt": {"S": "2026-11-22T02:01:33.123Z"},
    })
}

fn lines(skus: &[&str]) -> Vec<ReservationLine> {
    skus.iter()
        .map(|sku| ReservationLine {
            sku: (*sku).into(),
            quantity: 1,
        })
        .collect()
}

// ---- What the store asks, and how it reads the answers (no endpoint) ----

#[tokio::test]
async fn a_charge_intent_is_written_with_a_check_of_the_order_fence() {
    let http = replay([answer(200, &json!({}))]);
    let store = store_on(http.clone(), None);
    let id = Uuid::now_v7();
    assert_eq!(
        store.begin_charge(&intent(id)).await.unwrap(),
        ChargeStart::Begun(intent(id))
    );
    let body = &request_bodies(&http)[0];
    let items = body["TransactItems"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let check = &items[0]["ConditionCheck"];
    assert_eq!(check["Key"]["pk"]["S"], format!("ORDER#{id}"));
    assert_eq!(check["Key"]["sk"]["S"], "ORDER");
    assert_eq!(
        check["ConditionExpression"],
        format!("#status = :processing AND {FENCE}")
    );
    assert_eq!(
        check["ExpressionAttributeValues"][":processing"]["S"],
        "PROCESSING"
    );
    let put = &items[1]["Put"];
    assert_eq!(put["Item"]["status"]["S"], "CHARGING");
    assert_eq!(put["ConditionExpression"], "attribute_not_exists(pk)");
}

#[tokio::test]
async fn a_cancelled_charge_intent_is_fenced_only_when_no_payment_is_on_record() {
    let id = Uuid::now_v7();
    // Only the order's condition failed: fenced, nothing else asked.
    let http = replay([transaction_cancelled(&["ConditionalCheckFailed", "None"])]);
    let store = store_on(http.clone(), None);
    assert_eq!(
        store.begin_charge(&intent(id)).await.unwrap(),
        ChargeStart::Fenced
    );
    assert_eq!(operations(&http), ["TransactWriteItems"]);
    // The payment's condition failed, with or without the order's: the
    // stored payment (read consistently) is the answer.
    for codes in [
        ["None", "ConditionalCheckFailed"],
        ["ConditionalCheckFailed", "ConditionalCheckFailed"],
    ] {
        let http = replay([
            transaction_cancelled(&codes),
            answer(200, &json!({ "Item": intent_json(id) })),
        ]);
        let store = store_on(http.clone(), None);
        assert_eq!(
            store.begin_charge(&intent(id)).await.unwrap(),
            ChargeStart::Exists(intent(id)),
            "{codes:?}"
        );
        assert_eq!(operations(&http), ["TransactWriteItems", "GetItem"]);
        assert_eq!(request_bodies(&http)[1]["ConsistentRead"], true);
    }
}

#[tokio::test]
async fn a_conflicting_charge_intent_is_retried_then_unavailable() {
    let http = replay([
        transaction_cancelled(&["None", "TransactionConflict"]),
        answer(200, &json!({})),
    ]);
    let store = store_on(http.clone(), None);
    let id = Uuid::now_v7();
    assert!(matches!(
        store.begin_charge(&intent(id)).await,
        Ok(ChargeStart::Begun(_))
    ));
    assert_eq!(operations(&http), ["TransactWriteItems"; 2]);

    let http = replay((0..5).map(|_| transaction_cancelled(&["TransactionConflict", "None"])));
    let store = store_on(http.clone(), None);
    let err = store.begin_charge(&intent(id)).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert_eq!(operations(&http), ["TransactWriteItems"; 5]);
}

#[tokio::test]
async fn only_an_intent_begins_a_charge_and_only_an_answer_records_one() {
    let http = replay([]);
    let store = store_on(http.clone(), None);
    let id = Uuid::now_v7();
    let charged = Payment {
        status: PaymentStatus::Charged,
        ..intent(id)
    };
    assert!(matches!(
        store.begin_charge(&charged).await,
        Err(StoreError::Other(_))
    ));
    for status in [PaymentStatus::Charging, PaymentStatus::Refunded] {
        let p = Payment {
            status,
            ..intent(id)
        };
        assert!(matches!(
            store.record_charge(&p).await,
            Err(StoreError::Other(_))
        ));
    }
    assert!(operations(&http).is_empty());
}

#[tokio::test]
async fn an_answer_is_recorded_only_over_the_intent() {
    let id = Uuid::now_v7();
    let declined = Payment {
        status: PaymentStatus::Declined,
        decline_code: Some(DeclineCode::CardDeclined),
        ..intent(id)
    };
    let mut stored = intent_json(id);
    stored["status"] = json!({"S": "DECLINED"});
    stored["declineCode"] = json!({"S": "card_declined"});
    let http = replay([answer(200, &json!({ "Attributes": stored }))]);
    let store = store_on(http.clone(), None);
    assert_eq!(store.record_charge(&declined).await.unwrap(), declined);
    let body = &request_bodies(&http)[0];
    assert_eq!(body["ConditionExpression"], "#status = :charging");
    assert_eq!(
        body["UpdateExpression"],
        "SET #status = :status, declineCode = :code"
    );
    assert_eq!(body["ReturnValuesOnConditionCheckFailure"], "ALL_OLD");

    // Answered first by another call: that answer, as stored.
    let charged = Payment {
        status: PaymentStatus::Charged,
        provider_ref: Some("ch_1".into()),
        ..intent(id)
    };
    let http = replay([condition_failed(Some(stored))]);
    let store = store_on(http.clone(), None);
    assert_eq!(store.record_charge(&charged).await.unwrap(), declined);

    // No intent at all: the caller skipped `begin_charge`.
    let http = replay([condition_failed(None)]);
    let store = store_on(http.clone(), None);
    assert!(matches!(
        store.record_charge(&charged).await,
        Err(StoreError::Other(_))
    ));
}

#[tokio::test]
async fn a_voided_key_counts_nothing() {
    let http = replay([
        answer(200, &json!({"Attributes": {"attempts": {"N": "2"}}})),
        condition_failed(None),
        answer(
            200,
            &json!({"Attributes": {"attempts": {"N": "2"}, "voided": {"BOOL": true}}}),
        ),
    ]);
    let store = store_on(http.clone(), None);
    assert_eq!(store.count_attempt("k").await.unwrap(), Some(2));
    assert_eq!(store.count_attempt("k").await.unwrap(), None);
    assert_eq!(store.void_key("k").await.unwrap(), 2);
    let bodies = request_bodies(&http);
    assert_eq!(
        bodies[0]["ConditionExpression"],
        "attribute_not_exists(voided)"
    );
    assert_eq!(
        bodies[2]["UpdateExpression"],
        "SET voided = :true ADD attempts :zero"
    );
}

#[tokio::test]
async fn a_reservation_checks_the_order_fence_last() {
    let http = replay([answer(200, &json!({}))]);
    let store = store_on(http.clone(), None);
    let id = Uuid::now_v7();
    let now = at("2026-11-22T02:01:33.123Z");
    assert!(matches!(
        store.reserve(id, &lines(&["a", "b"]), now).await,
        Ok(ReserveOutcome::Reserved(_))
    ));
    let body = &request_bodies(&http)[0];
    let items = body["TransactItems"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert!(items[0]["Put"].is_object());
    assert!(items[1]["Update"].is_object() && items[2]["Update"].is_object());
    let check = &items[3]["ConditionCheck"];
    assert_eq!(check["Key"]["pk"]["S"], format!("ORDER#{id}"));
    assert_eq!(
        check["ConditionExpression"],
        format!("attribute_exists(pk) AND #status = :processing AND {FENCE}")
    );
}

#[tokio::test]
async fn a_failed_fence_outranks_short_stock() {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let cases: [(&[&str], ReserveOutcome); 3] = [
        (
            &["None", "None", "None", "ConditionalCheckFailed"],
            ReserveOutcome::Fenced,
        ),
        (
            &[
                "None",
                "ConditionalCheckFailed",
                "None",
                "ConditionalCheckFailed",
            ],
            ReserveOutcome::Fenced,
        ),
        (
            &["None", "None", "ConditionalCheckFailed", "None"],
            ReserveOutcome::OutOfStock {
                skus: vec!["b".into()],
            },
        ),
    ];
    for (codes, expected) in cases {
        let http = replay([transaction_cancelled(codes)]);
        let store = store_on(http.clone(), None);
        assert_eq!(
            store.reserve(id, &lines(&["a", "b"]), now).await.unwrap(),
            expected,
            "{codes:?}"
        );
    }
}

#[tokio::test]
async fn beginning_compensation_writes_the_mark_and_no_event() {
    let http = replay([condition_failed(None)]);
    let store = store_on(http.clone(), None);
    let id = Uuid::now_v7();
    assert_eq!(
        store.begin_compensation(id, Utc::now()).await.unwrap(),
        CompensationStart::NotFound
    );
    let body = &request_bodies(&http)[0];
    assert_eq!(
        body["UpdateExpression"],
        "SET compensationStartedAt = if_not_exists(compensationStartedAt, :at) REMOVE statusEvent"
    );
    assert_eq!(
        body["ConditionExpression"],
        "attribute_exists(pk) AND #status = :processing"
    );
    assert_eq!(body["ReturnValues"], "ALL_NEW");
    assert_eq!(body["ReturnValuesOnConditionCheckFailure"], "ALL_OLD");
}

#[tokio::test]
async fn only_completion_is_conditional_on_the_fence() {
    let id = Uuid::now_v7();
    for (to, fenced) in [(OrderStatus::Completed, true), (OrderStatus::Failed, false)] {
        let http = replay([condition_failed(None)]);
        let store = store_on(http.clone(), None);
        let change = StatusChange {
            order_id: id,
            from: OrderStatus::Processing,
            to,
            reason: None,
            detail: None,
            at: Utc::now(),
        };
        assert_eq!(
            store.transition(&change).await.unwrap(),
            TransitionOutcome::NotFound
        );
        let condition = request_bodies(&http)[0]["ConditionExpression"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(condition.contains(FENCE), fenced, "{to}: {condition}");
    }
}

// ---- On a table (moto, DynamoDB Local) ----

const ENDPOINT_ENV: &str = "ORDERS_TEST_DYNAMODB_ENDPOINT";

/// A store on a new table, or `None` (skipped) without an endpoint.
async fn table_store(test: &str) -> Option<DynamoStore> {
    let endpoint = match std::env::var(ENDPOINT_ENV) {
        Ok(e) if !e.trim().is_empty() => e.trim().trim_end_matches('/').to_string(),
        _ => {
            assert_ne!(
                std::env::var("ORDERS_REQUIRE_DYNAMODB").as_deref(),
                Ok("1"),
                "ORDERS_REQUIRE_DYNAMODB=1 but {ENDPOINT_ENV} is not set"
            );
            eprintln!("{test}: skipped: {ENDPOINT_ENV} is not set");
            return None;
        }
    };
    let host = endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.split([':', '/']).next())
        .unwrap_or_default();
    assert!(
        matches!(host, "127.0.0.1" | "localhost"),
        "{ENDPOINT_ENV}={endpoint} is not a loopback URL"
    );
    let client =
        orders_dynamodb::client(&AwsEnv::new("us-east-1", "test", "test").with_endpoint(&endpoint));
    let table = format!("orders-fence-{}", Uuid::now_v7().simple());
    orders_dynamodb::create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("creating {table} on {endpoint}: {e}"));
    Some(DynamoStore::new(client, table))
}

/// A new PENDING order created at `t`.
fn order(t: DateTime<Utc>, skus: &[&str]) -> Order {
    let items: Vec<OrderItem> = skus
        .iter()
        .map(|sku| OrderItem {
            sku: (*sku).into(),
            quantity: 1,
            price: Decimal::new(1999, 2),
            line_total: Decimal::new(1999, 2),
        })
        .collect();
    Order {
        order_id: Uuid::now_v7(),
        customer_id: "cust-1".into(),
        customer_name: None,
        customer_email: None,
        customer_phone: None,
        total: Decimal::new(1999, 2) * Decimal::from(items.len()),
        items,
        currency: "EUR".into(),
        status: OrderStatus::Pending,
        status_reason: None,
        status_detail: None,
        payment_token: None,
        compensation_started_at: None,
        created_at: t,
        updated_at: t,
    }
}

async fn moved(
    store: &DynamoStore,
    order: &Order,
    from: OrderStatus,
    to: OrderStatus,
    t: DateTime<Utc>,
) -> Order {
    let change = StatusChange {
        order_id: order.order_id,
        from,
        to,
        reason: (to == OrderStatus::Failed).then(|| "PROCESSING_ERROR".to_string()),
        detail: None,
        at: t,
    };
    match store.transition(&change).await.unwrap() {
        TransitionOutcome::Moved(o) => o,
        other => panic!("{from} to {to}: {other:?}"),
    }
}

/// A PROCESSING order on the table.
async fn processing(store: &DynamoStore, t: DateTime<Utc>, skus: &[&str]) -> Order {
    let o = order(t, skus);
    store.create_order(&o, None).await.unwrap();
    moved(store, &o, OrderStatus::Pending, OrderStatus::Processing, t).await
}

async fn raw_order(
    store: &DynamoStore,
    id: Uuid,
) -> std::collections::HashMap<String, AttributeValue> {
    store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(order_key(id)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
}

#[tokio::test]
async fn compensation_begins_once_on_a_processing_order_and_fences_completion() {
    let Some(store) = table_store("compensation_begins_once").await else {
        return;
    };
    let t0 = at("2026-11-22T02:01:33.123Z");
    let o = processing(&store, t0, &["a"]).await;
    assert!(raw_order(&store, o.order_id)
        .await
        .contains_key("statusEvent"));

    let t1 = t0 + Duration::seconds(5);
    let CompensationStart::Begun(begun) = store.begin_compensation(o.order_id, t1).await.unwrap()
    else {
        panic!("not begun");
    };
    assert_eq!(begun.compensation_started_at, Some(t1));
    assert_eq!(begun.status, OrderStatus::Processing);
    // No status change: same updatedAt, same index keys, and no event for
    // the pipe to forward again.
    assert_eq!(begun.updated_at, o.updated_at);
    let raw = raw_order(&store, o.order_id).await;
    assert!(!raw.contains_key("statusEvent"));
    assert_eq!(
        raw["gsi1pk"],
        AttributeValue::S(format!("STATUS#PROCESSING#{:02}", o.shard()))
    );

    // Again, later: the first mark stays.
    let again = store
        .begin_compensation(o.order_id, t1 + Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(again, CompensationStart::Begun(begun.clone()));

    // Completion is fenced; failing is not.
    let complete = StatusChange {
        order_id: o.order_id,
        from: OrderStatus::Processing,
        to: OrderStatus::Completed,
        reason: None,
        detail: None,
        at: t1,
    };
    assert_eq!(
        store.transition(&complete).await.unwrap(),
        TransitionOutcome::Unchanged(begun.clone())
    );
    let failed = moved(&store, &o, OrderStatus::Processing, OrderStatus::Failed, t1).await;
    assert_eq!(failed.compensation_started_at, Some(t1));
    assert!(raw_order(&store, o.order_id)
        .await
        .contains_key("statusEvent"));

    // Not processing any more, or never there.
    assert_eq!(
        store.begin_compensation(o.order_id, t1).await.unwrap(),
        CompensationStart::NotProcessing(failed)
    );
    assert_eq!(
        store.begin_compensation(Uuid::now_v7(), t1).await.unwrap(),
        CompensationStart::NotFound
    );

    // An order that was never fenced completes.
    let other = processing(&store, t0, &["a"]).await;
    let done = moved(
        &store,
        &other,
        OrderStatus::Processing,
        OrderStatus::Completed,
        t1,
    )
    .await;
    assert_eq!(done.compensation_started_at, None);
    assert!(matches!(
        store.begin_compensation(other.order_id, t1).await.unwrap(),
        CompensationStart::NotProcessing(_)
    ));
}

#[tokio::test]
async fn a_charge_intent_is_recorded_once_and_only_behind_the_fence() {
    let Some(store) = table_store("a_charge_intent_is_recorded_once").await else {
        return;
    };
    let t = at("2026-11-22T02:01:33.123Z");
    let o = processing(&store, t, &["a"]).await;
    let mine = intent(o.order_id);
    assert_eq!(
        store.begin_charge(&mine).await.unwrap(),
        ChargeStart::Begun(mine.clone())
    );
    assert_eq!(
        store.begin_charge(&mine).await.unwrap(),
        ChargeStart::Exists(mine.clone())
    );

    let charged = Payment {
        status: PaymentStatus::Charged,
        provider_ref: Some("ch_sim_1".into()),
        ..mine.clone()
    };
    assert_eq!(store.record_charge(&charged).await.unwrap(), charged);
    // The first answer wins.
    let declined = Payment {
        status: PaymentStatus::Declined,
        decline_code: Some(DeclineCode::CardDeclined),
        ..mine.clone()
    };
    assert_eq!(store.record_charge(&declined).await.unwrap(), charged);
    assert_eq!(
        store.get_payment(o.order_id).await.unwrap(),
        Some(charged.clone())
    );

    // A compensating order takes no intent, but one on record is still
    // the answer.
    store.begin_compensation(o.order_id, t).await.unwrap();
    assert_eq!(
        store.begin_charge(&mine).await.unwrap(),
        ChargeStart::Exists(charged)
    );
    let fenced = processing(&store, t, &["a"]).await;
    store.begin_compensation(fenced.order_id, t).await.unwrap();
    assert_eq!(
        store.begin_charge(&intent(fenced.order_id)).await.unwrap(),
        ChargeStart::Fenced
    );
    assert_eq!(store.get_payment(fenced.order_id).await.unwrap(), None);

    // Pending, final or unknown orders take none either.
    let pending = order(t, &["a"]);
    store.create_order(&pending, None).await.unwrap();
    let completed = processing(&store, t, &["a"]).await;
    moved(
        &store,
        &completed,
        OrderStatus::Processing,
        OrderStatus::Completed,
        t,
    )
    .await;
    for id in [pending.order_id, completed.order_id, Uuid::now_v7()] {
        assert_eq!(
            store.begin_charge(&intent(id)).await.unwrap(),
            ChargeStart::Fenced
        );
    }

    // An intent cancelled at the provider: voided, with the refund of
    // what it had charged; nothing answers over it.
    let voiding = processing(&store, t, &["a"]).await;
    let mine = intent(voiding.order_id);
    store.begin_charge(&mine).await.unwrap();
    let voided = Payment {
        status: PaymentStatus::Voided,
        refund: Some(orders_core::payments::Refund {
            refund_id: "rf_1".into(),
            provider_ref: "re_sim_1".into(),
            amount: mine.amount,
            refunded_at: t,
        }),
        ..mine.clone()
    };
    assert_eq!(store.record_charge(&voided).await.unwrap(), voided);
    let late = Payment {
        status: PaymentStatus::Charged,
        provider_ref: Some("ch_late".into()),
        ..mine
    };
    assert_eq!(store.record_charge(&late).await.unwrap(), voided);
    // A refund is for CHARGED payments only.
    let refund = voided.refund.clone().unwrap();
    assert_eq!(
        store
            .record_refund(voiding.order_id, &refund)
            .await
            .unwrap(),
        Some(voided)
    );
}

#[tokio::test]
async fn attempts_stop_counting_once_voided() {
    let Some(store) = table_store("attempts_stop_counting_once_voided").await else {
        return;
    };
    assert_eq!(store.count_attempt("charge#a").await.unwrap(), Some(1));
    assert_eq!(store.count_attempt("charge#a").await.unwrap(), Some(2));
    assert_eq!(store.void_key("charge#a").await.unwrap(), 2);
    assert_eq!(store.count_attempt("charge#a").await.unwrap(), None);
    assert_eq!(store.void_key("charge#a").await.unwrap(), 2);
    // Voided before any call: 0, and no call counts afterwards.
    assert_eq!(store.void_key("charge#b").await.unwrap(), 0);
    assert_eq!(store.count_attempt("charge#b").await.unwrap(), None);
    assert_eq!(store.count_attempt("charge#c").await.unwrap(), Some(1));
}

#[tokio::test]
async fn a_reservation_is_written_only_behind_the_fence() {
    let Some(store) = table_store("a_reservation_is_written_only_behind_the_fence").await else {
        return;
    };
    let t = at("2026-11-22T02:01:33.123Z");
    for sku in ["a", "b"] {
        store.set_stock(sku, 1, t).await.unwrap();
    }
    let fenced = processing(&store, t, &["a", "b"]).await;
    store.begin_compensation(fenced.order_id, t).await.unwrap();
    let pending = order(t, &["a"]);
    store.create_order(&pending, None).await.unwrap();
    for id in [fenced.order_id, pending.order_id, Uuid::now_v7()] {
        assert_eq!(
            store.reserve(id, &lines(&["a", "b"]), t).await.unwrap(),
            ReserveOutcome::Fenced
        );
        assert_eq!(store.get_reservation(id).await.unwrap(), None);
    }
    // A fenced order short of stock is fenced (nothing to fail for).
    assert_eq!(
        store
            .reserve(fenced.order_id, &lines(&["a", "zz"]), t)
            .await
            .unwrap(),
        ReserveOutcome::Fenced
    );
    for sku in ["a", "b"] {
        let level = store.get_stock(sku).await.unwrap().unwrap();
        assert_eq!((level.available, level.reserved), (1, 0), "{sku}");
    }

    let o = processing(&store, t, &["a", "b"]).await;
    let ReserveOutcome::Reserved(held) = store
        .reserve(o.order_id, &lines(&["a", "b"]), t)
        .await
        .unwrap()
    else {
        panic!("not reserved");
    };
    // Once compensation begins, the stored reservation is still the answer.
    store.begin_compensation(o.order_id, t).await.unwrap();
    assert_eq!(
        store
            .reserve(o.order_id, &lines(&["a", "b"]), t)
            .await
            .unwrap(),
        ReserveOutcome::Reserved(held)
    );
    let other = processing(&store, t, &["a"]).await;
    assert_eq!(
        store
            .reserve(other.order_id, &lines(&["a"]), t)
            .await
            .unwrap(),
        ReserveOutcome::OutOfStock {
            skus: vec!["a".into()]
        }
    );
    assert!(store.get_order(other.order_id).await.unwrap().is_some());
}
