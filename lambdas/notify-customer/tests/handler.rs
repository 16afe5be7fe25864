//! The notifier handler on SNS events shaped as Lambda delivers them
//! (tests/fixtures/sns-event.json), against the embedded store, its ledger
//! and the recording notifier: one notification per (order, status) however
//! often SNS delivers, failures that fail the invocation, and refusals for
//! good that do not.

mod common;

use chrono::Utc;
use common::{ledger_state, order_with, processing, sns_event};
use notify_customer::handler::{handle, Deps, RecordError};
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_core::notification::{Channel, Notification};
use orders_core::ports::Notifier;
use orders_core::usecases::{notify_status_changed, NotifyError, NotifyOutcome};
use orders_core::DeliveryError;
use orders_local_aws::notifier::{list_sent_notifications, RecordingNotifier};
use orders_sqlite::SqliteStore;
use orders_test_support::orders::base_time;
use orders_test_support::World;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

fn deps(w: &World) -> Deps<'_, SqliteStore, SqliteStore, RecordingNotifier> {
    Deps {
        orders: &w.store,
        ledger: &w.store,
        notifier: &w.notifier,
    }
}

async fn order(w: &World, phone: bool) -> Uuid {
    order_with(w, "ada@example.com", phone.then_some("+14155550100")).await
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

/// A notifier whose every send fails with `error()`, counting the calls.
struct Failing {
    error: fn() -> DeliveryError,
    calls: AtomicUsize,
}

impl Failing {
    fn new(error: fn() -> DeliveryError) -> Self {
        Self {
            error,
            calls: AtomicUsize::new(0),
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Notifier for Failing {
    async fn send(&self, _: &Notification) -> Result<Vec<Channel>, DeliveryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err((self.error)())
    }
}

fn with<'a, N>(w: &'a World, notifier: &'a N) -> Deps<'a, SqliteStore, SqliteStore, N> {
    Deps {
        orders: &w.store,
        ledger: &w.store,
        notifier,
    }
}

#[tokio::test]
async fn a_permanent_refusal_succeeds_is_recorded_once_and_never_sent_again() {
    let w = World::new();
    let id = order(&w, true).await;
    let event = processing(id);
    let refusing = Failing::new(|| {
        DeliveryError::rejected(
            "MessageRejected,InvalidParameter",
            "email: SendEmail: refused; sms: Publish: refused",
        )
    });

    // Handled: the invocation succeeds, so Lambda neither retries it nor
    // dead-letters it.
    let outcomes = handle(&with(&w, &refusing), sns_event(&[&event]))
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![NotifyOutcome::Refused {
            code: "MessageRejected,InvalidParameter".into()
        }]
    );
    let entry = w
        .store
        .ledger_entry(id, OrderStatus::Processing)
        .await
        .unwrap()
        .expect("a ledger entry");
    assert_eq!(entry.state, orders_sqlite::ledger::REFUSED);
    assert_eq!(
        entry.error_code.as_deref(),
        Some("MessageRejected,InvalidParameter")
    );
    assert!(entry.refused_at_ms.is_some() && entry.lease_until_ms.is_none());

    // Redelivered (SNS at least once, or Lambda's own retry): nothing is
    // tried again, whichever notifier runs.
    let again = handle(&with(&w, &refusing), sns_event(&[&event, &event]))
        .await
        .unwrap();
    assert_eq!(
        again,
        vec![NotifyOutcome::Duplicate, NotifyOutcome::Duplicate]
    );
    assert_eq!(refusing.calls(), 1);
    let later = handle(&deps(&w), sns_event(&[&event])).await.unwrap();
    assert_eq!(later, vec![NotifyOutcome::Duplicate]);
    assert!(w.sent(id).await.is_empty());
}

#[tokio::test]
async fn a_transient_failure_fails_the_invocation_and_a_retry_sends() {
    let w = World::new();
    let id = order(&w, false).await;
    let event = processing(id);
    let throttled =
        Failing::new(|| DeliveryError::Unavailable("SendEmail: failed (Throttling)".into()));

    let r = handle(&with(&w, &throttled), sns_event(&[&event])).await;
    assert!(
        matches!(
            r,
            Err(RecordError::Notify(NotifyError::Delivery(
                DeliveryError::Unavailable(_)
            )))
        ),
        "{r:?}"
    );
    assert_eq!(throttled.calls(), 1);
    // Not settled: the claim's lease runs out and a retry may send.
    let sending = (orders_sqlite::ledger::SENDING.to_string(), None);
    assert_eq!(ledger_state(&w, id).await, sending);

    // Lambda retries a minute later: past the lease, the retry sends.
    let changed = match orders_validation::events::parse_event(&event).unwrap() {
        OrderEvent::OrderStatusChanged(c) => c,
        other => panic!("{other:?}"),
    };
    let retry_at = Utc::now() + chrono::Duration::seconds(61);
    let sent = notify_status_changed(
        &w.store,
        &w.store,
        &orders_notifications::Templates,
        &w.notifier,
        &changed,
        retry_at,
    )
    .await
    .unwrap();
    assert_eq!(sent, NotifyOutcome::Sent(vec![Channel::Email]));
    assert_eq!(w.sent(id).await.len(), 1);
}

/// The local host's notifier on the same path: an address on `.invalid` is
/// refused as SES refuses it, and the handler succeeds once, then sees a
/// duplicate.
#[tokio::test]
async fn the_local_notifier_refuses_invalid_addresses_on_the_same_path() {
    let w = World::new();
    let body = r#"{"customerId":"c-1","customerEmail":"ada@shop.invalid","items":[{"sku":"A","quantity":1,"price":"4.25"}]}"#;
    let id = w.create(body).await.order_id;
    let event = processing(id);
    let outcomes = handle(&deps(&w), sns_event(&[&event, &event]))
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![
            NotifyOutcome::Refused {
                code: "MessageRejected".into()
            },
            NotifyOutcome::Duplicate
        ]
    );
    assert!(w.sent(id).await.is_empty());
}
