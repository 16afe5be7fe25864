//! The local notification side: the recording notifier (e-mail and SMS),
//! which records each (order, status) once, with the core's notify use case
//! completing the ledger.

mod common;

use chrono::Utc;
use common::{create, TempDb};
use orders_core::events::OrderStatusChanged;
use orders_core::model::OrderStatus;
use orders_core::notification::Channel;
use orders_core::ports::{Claim, NotificationLedger, Notifier};
use orders_core::usecases::{notify_status_changed, NotifyOutcome, NOTIFICATION_LEASE};
use orders_core::DeliveryError;
use orders_local_aws::notifier::{
    channels_of, list_sent_notifications, RecordingNotifier, REFUSAL_CODE,
};
use orders_notifications::{render, Templates};
use orders_sqlite::SqliteStore;

#[tokio::test]
async fn the_recording_notifier_records_what_was_sent() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let notifier = RecordingNotifier::new(s.clone());

    let both = create(&s, true).await;
    let n = render(&both, OrderStatus::Processing).unwrap();
    assert_eq!(
        notifier.send(&n).await.unwrap(),
        vec![Channel::Email, Channel::Sms]
    );

    let mut nothing = create(&s, false).await;
    nothing.customer_email = None;
    let quiet = render(&nothing, OrderStatus::Cancelled).unwrap();
    assert_eq!(channels_of(&quiet), vec![Channel::Log]);
    assert_eq!(notifier.send(&quiet).await.unwrap(), vec![Channel::Log]);

    let n2 = render(&both, OrderStatus::Completed).unwrap();
    assert_eq!(
        notifier.send(&n2).await.unwrap(),
        vec![Channel::Email, Channel::Sms]
    );

    let all = list_sent_notifications(&s, None, 100).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all
        .windows(2)
        .all(|w| w[0].seq < w[1].seq && w[0].sent_at <= w[1].sent_at));
    assert_eq!(all[0].order_id, both.order_id);
    assert_eq!(all[0].status, OrderStatus::Processing);
    assert_eq!(all[0].email, n.email);
    assert_eq!(all[0].sms, n.sms);
    assert_eq!(all[1].order_id, nothing.order_id);
    assert_eq!(all[1].channels, vec![Channel::Log]);
    assert!(all[1].email.is_none() && all[1].sms.is_none());

    // By order, oldest first; a limit keeps the latest.
    let mine = list_sent_notifications(&s, Some(both.order_id), 100)
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|x| x.status).collect::<Vec<_>>(),
        vec![OrderStatus::Processing, OrderStatus::Completed]
    );
    let latest = list_sent_notifications(&s, None, 2).await.unwrap();
    assert_eq!(latest, all[1..].to_vec());

    // The local endpoint's JSON.
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(json["orderId"], both.order_id.to_string());
    assert_eq!(json["status"], "PROCESSING");
    assert_eq!(json["channels"], serde_json::json!(["email", "sms"]));
    assert_eq!(json["email"]["to"], "ada@example.com");
    assert_eq!(json["sms"]["to"], "+14155550100");
    assert!(json["sentAt"].as_str().unwrap().ends_with('Z'));
    let quiet_json = serde_json::to_value(&all[1]).unwrap();
    assert!(quiet_json.get("email").is_none());
}

#[tokio::test]
async fn a_status_is_recorded_once_however_often_it_is_sent() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let notifier = RecordingNotifier::new(s.clone());
    let o = create(&s, true).await;
    let n = render(&o, OrderStatus::Processing).unwrap();
    let first = notifier.send(&n).await.unwrap();
    assert_eq!(first, vec![Channel::Email, Channel::Sms]);
    // Again (a redelivery whose sender lost its ledger lease): the channels
    // it went out on, nothing recorded twice.
    assert_eq!(notifier.send(&n).await.unwrap(), first);
    let sent = list_sent_notifications(&s, Some(o.order_id), 10)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    // The notifier records; the ledger is the use case's to complete.
    assert_eq!(
        s.ledger_entry(o.order_id, OrderStatus::Processing)
            .await
            .unwrap(),
        None
    );
}

/// A kill -9 between the send and the ledger write: the next delivery after
/// the lease takes over, finds the send recorded, and completes the ledger.
/// The customer's record holds the notification once, the ledger says SENT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_dying_before_the_ledger_write_sends_nothing_twice() {
    let db = TempDb::new();
    let o = {
        let s = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
        let o = create(&s, false).await;
        // The dead sender: claimed a minute ago, sent, never completed.
        let then = Utc::now() - chrono::Duration::seconds(60);
        assert_eq!(
            s.claim(
                o.order_id,
                OrderStatus::Processing,
                then,
                NOTIFICATION_LEASE
            )
            .await
            .unwrap(),
            Claim::Claimed
        );
        let n = render(&o, OrderStatus::Processing).unwrap();
        RecordingNotifier::new(s.clone()).send(&n).await.unwrap();
        o
    };
    // A restarted host redelivers the event.
    let s = SqliteStore::open_with(&db.path, &[orders_local_aws::MIGRATION]).unwrap();
    let notifier = RecordingNotifier::new(s.clone());
    let event = OrderStatusChanged::new(
        o.order_id,
        OrderStatus::Pending,
        OrderStatus::Processing,
        None,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        notify_status_changed(&s, &s, &Templates, &notifier, &event, Utc::now())
            .await
            .unwrap(),
        NotifyOutcome::Sent(vec![Channel::Email])
    );
    assert_eq!(
        notify_status_changed(&s, &s, &Templates, &notifier, &event, Utc::now())
            .await
            .unwrap(),
        NotifyOutcome::Duplicate
    );
    let sent = list_sent_notifications(&s, Some(o.order_id), 10)
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let entry = s
        .ledger_entry(o.order_id, OrderStatus::Processing)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, orders_sqlite::ledger::SENT);
    assert_eq!(entry.channels, vec![Channel::Email]);
}

/// An address on `.invalid` is refused as SES refuses (`MessageRejected`):
/// alone, the send fails for good and nothing is recorded; with a phone, the
/// SMS still goes out and is what is recorded.
#[tokio::test]
async fn an_address_on_invalid_is_refused_for_good() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let notifier = RecordingNotifier::new(s.clone());

    let mut alone = create(&s, false).await;
    alone.customer_email = Some("ada@shop.INVALID".into());
    let n = render(&alone, OrderStatus::Processing).unwrap();
    let err = notifier.send(&n).await.unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Rejected { code, .. } if code == REFUSAL_CODE),
        "{err:?}"
    );
    assert!(!err.to_string().contains("ada@"), "{err}");
    assert!(list_sent_notifications(&s, None, 10)
        .await
        .unwrap()
        .is_empty());

    let mut with_phone = create(&s, true).await;
    with_phone.customer_email = Some("ada@shop.invalid".into());
    let n = render(&with_phone, OrderStatus::Processing).unwrap();
    assert_eq!(notifier.send(&n).await.unwrap(), vec![Channel::Sms]);
    let sent = list_sent_notifications(&s, None, 10).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].channels, vec![Channel::Sms]);
    assert!(sent[0].email.is_none() && sent[0].sms.is_some());

    // Any other domain is delivered, `.invalid` inside a name included.
    let mut fine = create(&s, false).await;
    fine.customer_email = Some("ada@invalid.example.com".into());
    let n = render(&fine, OrderStatus::Processing).unwrap();
    assert_eq!(notifier.send(&n).await.unwrap(), vec![Channel::Email]);
}

/// Through the notify use case: the refusal settles the ledger and is no
/// error; the next delivery is a duplicate.
#[tokio::test]
async fn the_use_case_records_a_local_refusal_once() {
    let s = SqliteStore::in_memory_with(&[orders_local_aws::MIGRATION]).unwrap();
    let notifier = RecordingNotifier::new(s.clone());
    let body = r#"{"customerId":"c-1","customerEmail":"ada@shop.invalid","items":[{"sku":"A","quantity":1,"price":"1.50"}]}"#;
    let order = orders_validation::create_order(&s, body.as_bytes(), None, Utc::now())
        .await
        .unwrap();
    let event = OrderStatusChanged::new(
        order.order_id,
        OrderStatus::Pending,
        OrderStatus::Processing,
        None,
        Utc::now(),
    )
    .unwrap();
    let now = Utc::now();
    assert_eq!(
        notify_status_changed(&s, &s, &Templates, &notifier, &event, now)
            .await
            .unwrap(),
        NotifyOutcome::Refused {
            code: REFUSAL_CODE.into()
        }
    );
    assert_eq!(
        s.claim(
            order.order_id,
            OrderStatus::Processing,
            now,
            NOTIFICATION_LEASE
        )
        .await
        .unwrap(),
        Claim::Refused
    );
    assert_eq!(
        notify_status_changed(&s, &s, &Templates, &notifier, &event, now)
            .await
            .unwrap(),
        NotifyOutcome::Duplicate
    );
    assert!(list_sent_notifications(&s, None, 10)
        .await
        .unwrap()
        .is_empty());
}
