//! The notifier handler on SNS events shaped as Lambda delivers them
//! (tests/fixtures/sns-event.json), against the embedded store, its ledger
//! and the recording notifier: one notification per (order, status) however
//! often SNS delivers, and failures that fail the invocation.

use aws_lambda_events::event::sns::SnsEvent;
use notify_customer::handler::{handle, Deps, RecordError};
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_core::ports::Channel;
use orders_core::usecases::{NotifyError, NotifyOutcome};
use orders_local_aws::notifier::{list_sent_notifications, RecordingNotifier};
use orders_sqlite::SqliteStore;
use orders_test_support::events::{self, fixture};
use orders_test_support::orders::base_time;
use orders_test_support::World;
use serde_json::{json, Value};
use uuid::Uuid;

fn deps(w: &World) -> Deps<'_, SqliteStore, SqliteStore, RecordingNotifier> {
    Deps {
        orders: &w.store,
        ledger: &w.store,
        notifier: &w.notifier,
    }
}

async fn order(w: &World, phone: bool) -> Uuid {
    let phone = if phone {
        r#","customerPhone":"+14155550100""#
    } else {
        ""
    };
    let body = format!(
        r#"{{"customerId":"c-1","customerName":"Ada Lovelace","customerEmail":"ada@example.com"{phone},"items":[{{"sku":"A","quantity":2,"price":"4.25"}}]}}"#
    );
    w.create(&body).await.order_id
}

fn processing(id: Uuid) -> String {
    OrderEvent::from(
        OrderStatusChanged::new(
            id,
            OrderStatus::Pending,
            OrderStatus::Processing,
            None,
            base_time(),
        )
        .unwrap(),
    )
    .to_json()
}

/// An SNS event with one record per message body.
fn sns_event(messages: &[&str]) -> SnsEvent {
    events::sns_event(
        &fixture(env!("CARGO_MANIFEST_DIR"), "sns-event.json"),
        messages,
    )
}

#[tokio::test]
async fn a_status_change_sends_one_email_and_sms_without_the_name() {
    let w = World::new();
    let id = order(&w, true).await;
    let outcomes = handle(&deps(&w), sns_event(&[&processing(id)]))
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![NotifyOutcome::Sent(vec![Channel::Email, Channel::Sms])]
    );
    let sent = w.sent(id).await;
    assert_eq!(sent.len(), 1);
    let email = sent[0].email.as_ref().expect("an e-mail");
    assert_eq!(email.to, "ada@example.com");
    let short = id.simple().to_string()[24..].to_uppercase();
    assert!(email.subject.contains(&short), "{}", email.subject);
    assert!(email.body.contains(&id.to_string()), "{}", email.body);
    assert!(email.body.contains("8.50 USD"), "{}", email.body);
    let sms = sent[0].sms.as_ref().expect("an SMS");
    assert_eq!(sms.to, "+14155550100");
    for text in [&email.subject, &email.body, &sms.text] {
        assert!(
            !text.contains("Ada") && !text.contains("Lovelace"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn every_redelivery_of_a_status_is_a_duplicate() {
    let w = World::new();
    let id = order(&w, false).await;
    let event = processing(id);
    // Twice in one invocation, then again in another (SNS at least once).
    let first = handle(&deps(&w), sns_event(&[&event, &event]))
        .await
        .unwrap();
    assert_eq!(
        first,
        vec![
            NotifyOutcome::Sent(vec![Channel::Email]),
            NotifyOutcome::Duplicate
        ]
    );
    let again = handle(&deps(&w), sns_event(&[&event])).await.unwrap();
    assert_eq!(again, vec![NotifyOutcome::Duplicate]);
    assert_eq!(w.sent(id).await.len(), 1);
}

#[tokio::test]
async fn each_status_is_notified_once_in_its_own_right() {
    let w = World::new();
    let id = order(&w, false).await;
    orders_core::usecases::cancel_order(&w.store, &id.to_string(), w.now())
        .await
        .unwrap();
    let cancelled = OrderEvent::from(
        OrderStatusChanged::new(
            id,
            OrderStatus::Pending,
            OrderStatus::Cancelled,
            Some("changed my mind".into()),
            base_time(),
        )
        .unwrap(),
    )
    .to_json();
    let outcomes = handle(
        &deps(&w),
        sns_event(&[&processing(id), &cancelled, &cancelled]),
    )
    .await
    .unwrap();
    assert_eq!(outcomes.len(), 3);
    assert_eq!(outcomes[2], NotifyOutcome::Duplicate);
    let statuses: Vec<OrderStatus> = w.sent(id).await.iter().map(|n| n.status).collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&OrderStatus::Processing));
    assert!(statuses.contains(&OrderStatus::Cancelled));
}

#[tokio::test]
async fn concurrent_deliveries_send_once() {
    let w = World::new();
    let id = order(&w, false).await;
    let event = processing(id);
    let deps = deps(&w);
    let results =
        futures::future::join_all((0..8).map(|_| handle(&deps, sns_event(&[&event])))).await;
    let sent = results
        .iter()
        .filter(|r| matches!(r.as_deref(), Ok([NotifyOutcome::Sent(_)])))
        .count();
    assert_eq!(sent, 1, "{results:?}");
    for r in &results {
        match r {
            Ok(o) => assert!(matches!(
                o[0],
                NotifyOutcome::Sent(_) | NotifyOutcome::Duplicate
            )),
            // Lost the race while the winner held the lease: retried later.
            Err(RecordError::Notify(NotifyError::InFlight)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(w.sent(id).await.len(), 1);
}

#[tokio::test]
async fn bad_records_fail_the_invocation_and_send_nothing() {
    let w = World::new();
    let id = order(&w, false).await;
    let not_json = handle(&deps(&w), sns_event(&["{oops"])).await;
    assert!(
        matches!(not_json, Err(RecordError::Invalid(_))),
        "{not_json:?}"
    );

    let mut invalid: Value = serde_json::from_str(&processing(id)).unwrap();
    invalid["status"] = json!("SHIPPED");
    let invalid = handle(&deps(&w), sns_event(&[&invalid.to_string()])).await;
    assert!(
        matches!(invalid, Err(RecordError::Invalid(_))),
        "{invalid:?}"
    );

    let unknown = handle(&deps(&w), sns_event(&[&processing(Uuid::now_v7())])).await;
    assert!(
        matches!(
            unknown,
            Err(RecordError::Notify(NotifyError::OrderNotFound(_)))
        ),
        "{unknown:?}"
    );
    assert!(w.sent(id).await.is_empty());
    assert!(list_sent_notifications(&w.store, None, 100)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_order_created_event_is_not_for_the_notifier() {
    let w = World::new();
    let id = order(&w, false).await;
    let outbox = w.store.outbox_pending(10).await.unwrap();
    let created = &outbox
        .iter()
        .find(|e| e.order_id == id.to_string())
        .unwrap()
        .body;
    let r = handle(&deps(&w), sns_event(&[created])).await;
    assert!(
        matches!(r, Err(RecordError::UnexpectedType("OrderCreated"))),
        "{r:?}"
    );
    assert!(w.sent(id).await.is_empty());
}
