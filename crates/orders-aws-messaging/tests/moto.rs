//! The adapters against moto (SQS, SNS SMS, SES v2) on 127.0.0.1.
//!
//! The endpoint comes from `ORDERS_TEST_MOTO_ENDPOINT`, or else from
//! `ORDERS_TEST_DYNAMODB_ENDPOINT` (scripts/test-all.sh points that one at
//! the moto server it starts). Without either the tests are skipped, with a
//! message; `ORDERS_REQUIRE_MOTO=1` (or `ORDERS_REQUIRE_DYNAMODB=1`) makes
//! that a failure. Every test makes its own queues, topics and addresses,
//! so they run in parallel on one shared server.

use aws_sdk_sqs::types::QueueAttributeName;
use orders_aws_messaging::dlq::DeadLetterQueue;
use orders_aws_messaging::{
    ses_client, sns_client, sqs_client, AwsEnv, AwsNotifier, SMS_TYPE_ATTRIBUTE,
};
use orders_core::notification::{Channel, EmailMessage, Notification, SmsMessage};
use orders_core::ports::Notifier;
use orders_core::{DeliveryError, OrderStatus};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

const ENDPOINT_ENVS: [&str; 2] = ["ORDERS_TEST_MOTO_ENDPOINT", "ORDERS_TEST_DYNAMODB_ENDPOINT"];
const REQUIRE_ENVS: [&str; 2] = ["ORDERS_REQUIRE_MOTO", "ORDERS_REQUIRE_DYNAMODB"];

/// The moto endpoint, or `None` after saying why the test is skipped.
fn moto(test: &str) -> Option<String> {
    let found = ENDPOINT_ENVS.iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty())
    });
    match found {
        Some(e) => {
            let host = e
                .strip_prefix("http://")
                .and_then(|r| r.split(['/', ':']).next())
                .unwrap_or_default();
            assert!(
                host == "127.0.0.1" || host == "localhost",
                "{e} is not a loopback URL; tests never talk to anything else"
            );
            Some(e)
        }
        None => {
            if REQUIRE_ENVS
                .iter()
                .any(|r| std::env::var(r).is_ok_and(|v| v == "1"))
            {
                panic!("{REQUIRE_ENVS:?} asks for moto but none of {ENDPOINT_ENVS:?} is set (scripts/moto.sh start)");
            }
            eprintln!("{test}: skipped: no moto endpoint (set ORDERS_TEST_MOTO_ENDPOINT)");
            None
        }
    }
}

fn aws(endpoint: &str) -> AwsEnv {
    AwsEnv::new("us-east-1", "testing", "testing").with_endpoint(endpoint)
}

static SEQ: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        Uuid::now_v7().simple()
    )
}

/// moto's record of everything it holds (`GET /moto-api/data.json`).
/// `None` (after a warning) if moto cannot produce it: the document
/// serializes every model of every service, and a model of another test's
/// service that fails to serialize must not fail these tests; the sends
/// themselves are asserted anyway.
async fn moto_data(endpoint: &str) -> Option<Value> {
    let addr = endpoint.strip_prefix("http://").unwrap();
    let mut last = String::new();
    for _ in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET /moto-api/data.json HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            if head.starts_with("HTTP/1.") && head.contains(" 200 ") {
                if let Ok(v) = serde_json::from_str(body) {
                    return Some(v);
                }
            }
            last = head.lines().next().unwrap_or_default().to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("warning: moto's /moto-api/data.json did not answer ({last}); records not checked");
    None
}

// --- SQS: redrive policy, dead letters, redrive --------------------------------

async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str, dlq_arn: Option<&str>) -> String {
    let mut req = sqs.create_queue().queue_name(name);
    if let Some(arn) = dlq_arn {
        req = req.attributes(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": "3" }).to_string(),
        );
    }
    req.send().await.unwrap().queue_url.unwrap()
}

/// Receives from `url` with a visibility timeout of 0 (the message is
/// visible again at once) and says what came back.
async fn receive_bodies(sqs: &aws_sdk_sqs::Client, url: &str, wait: i32) -> Vec<String> {
    sqs.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .wait_time_seconds(wait)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| m.body.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn dead_letter_after_three_receives_then_redrive() {
    let Some(endpoint) = moto("dead_letter_after_three_receives_then_redrive") else {
        return;
    };
    let sqs = sqs_client(&aws(&endpoint));
    let dlq_url = create_queue(&sqs, &unique("orders-dlq"), None).await;
    let dlq = DeadLetterQueue::new(sqs.clone(), &dlq_url);
    let dlq_arn = dlq.arn().await.unwrap();
    let source_url = create_queue(&sqs, &unique("orders"), Some(&dlq_arn)).await;
    assert_eq!(
        dlq.source_queues().await.unwrap(),
        std::slice::from_ref(&source_url)
    );

    let body = format!(
        r#"{{"eventType":"OrderCreated","orderId":"{}"}}"#,
        Uuid::now_v7()
    );
    sqs.send_message()
        .queue_url(&source_url)
        .message_body(&body)
        .send()
        .await
        .unwrap();
    for n in 1..=3 {
        assert_eq!(
            receive_bodies(&sqs, &source_url, 0).await,
            std::slice::from_ref(&body),
            "receive {n}"
        );
    }
    // The fourth receive finds it used up and moves it to the DLQ.
    assert!(receive_bodies(&sqs, &source_url, 0).await.is_empty());

    let summary = dlq.list(10).await.unwrap();
    assert_eq!(summary.approximate_messages, 1, "{summary:?}");
    assert_eq!(summary.messages.len(), 1);
    let dead = &summary.messages[0];
    assert_eq!(dead.body, body);
    // Three receives on the source queue, plus this peek.
    assert!(dead.receive_count >= 3, "{dead:?}");
    assert!(dead.sent_at_ms.is_some() && dead.first_received_at_ms.is_some());
    // Peeking consumed nothing.
    assert_eq!(dlq.list(0).await.unwrap().approximate_messages, 1);

    match dlq.redrive(None).await {
        Ok(task) => {
            eprintln!("StartMessageMoveTask is supported: {task:?}");
            assert!(!dlq.redrive_status().await.unwrap().is_empty());
        }
        Err(e) => {
            // moto 5.2 answers StartMessageMoveTask with an HTML 500.
            eprintln!("StartMessageMoveTask is not available here ({e}); copying instead");
            let outcome = dlq.redrive_by_copy(&source_url, None).await.unwrap();
            assert_eq!(outcome.moved, 1, "{outcome:?}");
            assert_eq!(outcome.failed + outcome.copied_not_deleted, 0);
        }
    }
    let mut back = Vec::new();
    for _ in 0..10 {
        back = receive_bodies(&sqs, &source_url, 1).await;
        if !back.is_empty() {
            break;
        }
    }
    assert_eq!(back, [body]);
    assert_eq!(dlq.list(0).await.unwrap().approximate_messages, 0);
}

#[tokio::test]
async fn redrive_by_copy_keeps_attributes_and_honours_the_limit() {
    let Some(endpoint) = moto("redrive_by_copy_keeps_attributes_and_honours_the_limit") else {
        return;
    };
    let sqs = sqs_client(&aws(&endpoint));
    let dlq_url = create_queue(&sqs, &unique("orders-dlq"), None).await;
    let target_url = create_queue(&sqs, &unique("orders"), None).await;
    for i in 0..13 {
        sqs.send_message()
            .queue_url(&dlq_url)
            .message_body(format!("m{i}"))
            .message_attributes(
                "ErrorCode",
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("200")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let dlq = DeadLetterQueue::new(sqs.clone(), &dlq_url);
    let summary = dlq.list(3).await.unwrap();
    assert_eq!(summary.approximate_messages, 13);
    assert_eq!(summary.messages.len(), 3);
    assert_eq!(summary.messages[0].attributes["ErrorCode"], "200");

    let first = dlq.redrive_by_copy(&target_url, Some(12)).await.unwrap();
    assert_eq!(first.moved, 12, "{first:?}");
    assert_eq!(dlq.list(0).await.unwrap().approximate_messages, 1);
    let rest = dlq.redrive_by_copy(&target_url, None).await.unwrap();
    assert_eq!(rest.moved, 1);

    let moved = sqs
        .receive_message()
        .queue_url(&target_url)
        .max_number_of_messages(1)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    let attrs = moved[0].message_attributes.as_ref().unwrap();
    assert_eq!(attrs["ErrorCode"].string_value.as_deref(), Some("200"));

    // Queue URLs and ARNs convert both ways.
    let arn = orders_aws_messaging::dlq::queue_arn(&sqs, &target_url)
        .await
        .unwrap();
    assert_eq!(
        orders_aws_messaging::dlq::queue_url(&sqs, &arn)
            .await
            .unwrap(),
        target_url
    );
    assert!(orders_aws_messaging::dlq::queue_url(&sqs, "not-an-arn")
        .await
        .is_err());
}

#[tokio::test]
async fn missing_queue_is_rejected_not_retried() {
    let Some(endpoint) = moto("missing_queue_is_rejected_not_retried") else {
        return;
    };
    let sqs = sqs_client(&aws(&endpoint));
    let url = format!("{endpoint}/123456789012/{}", unique("nope"));
    let err = DeadLetterQueue::new(sqs, url).list(1).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

// --- the notifier: SES e-mail and SNS SMS -------------------------------------

fn notification(email: Option<EmailMessage>, sms: Option<SmsMessage>) -> Notification {
    Notification {
        order_id: Uuid::now_v7(),
        status: OrderStatus::Completed,
        email,
        sms,
    }
}

/// A phone number no other test uses: +1555 and seven digits of a counter
/// and the clock.
fn unique_phone() -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed) * 7919
        + u64::from(std::process::id())
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64;
    format!("+1555{:07}", n % 10_000_000)
}

fn sms_to(text: &str) -> SmsMessage {
    SmsMessage {
        to: unique_phone(),
        text: text.into(),
    }
}

fn email_to(subject: &str) -> EmailMessage {
    EmailMessage {
        to: format!("{}@example.com", unique("customer")),
        subject: subject.into(),
        body: "Your order is complete.".into(),
    }
}

fn records<'a>(data: &'a Value, service: &str, model: &str) -> &'a [Value] {
    data[service][model].as_array().map_or(&[], Vec::as_slice)
}

#[tokio::test]
async fn sms_is_published_to_the_phone_number() {
    let Some(endpoint) = moto("sms_is_published_to_the_phone_number") else {
        return;
    };
    assert_eq!(SMS_TYPE_ATTRIBUTE, "AWS.SNS.SMS.SMSType");
    let notifier = AwsNotifier::log_only().with_sms(sns_client(&aws(&endpoint)));
    let sms = sms_to("Order ABCD1234 is complete.");
    let sent = notifier.send(&notification(None, Some(sms.clone()))).await;
    assert_eq!(sent.unwrap(), [Channel::Sms]);

    let Some(data) = moto_data(&endpoint).await else {
        return;
    };
    let hits: Vec<&Value> = records(&data, "sns", "SMS")
        .iter()
        .filter(|r| r["phone_number"] == sms.to.as_str())
        .collect();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["message"], sms.text.as_str());
}

/// SNS refuses a number that is not E.164 with `InvalidParameter`: a
/// refusal for good, with the number masked in what is reported.
#[tokio::test]
async fn an_invalid_phone_number_is_refused_for_good() {
    let Some(endpoint) = moto("an_invalid_phone_number_is_refused_for_good") else {
        return;
    };
    let notifier = AwsNotifier::log_only().with_sms(sns_client(&aws(&endpoint)));
    let sms = SmsMessage {
        to: "+0155501234".into(),
        text: "Order ABCD1234 is complete.".into(),
    };
    let err = notifier
        .send(&notification(None, Some(sms)))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Rejected { code, .. } if code == "InvalidParameter"),
        "{err}"
    );
    assert!(!err.to_string().contains("0155501234"), "{err}");
}

#[tokio::test]
async fn email_is_sent_from_the_verified_sender() {
    let Some(endpoint) = moto("email_is_sent_from_the_verified_sender") else {
        return;
    };
    let env = aws(&endpoint);
    let ses = ses_client(&env);
    let sender = format!("{}@example.com", unique("orders"));
    ses.create_email_identity()
        .email_identity(&sender)
        .send()
        .await
        .unwrap();

    let notifier = AwsNotifier::log_only()
        .with_email(ses.clone(), &sender)
        .with_sms(sns_client(&env));
    let email = email_to("Order ABCD1234: complete");
    let sms = sms_to("Order ABCD1234 is complete.");
    let sent = notifier
        .send(&notification(Some(email.clone()), Some(sms.clone())))
        .await
        .unwrap();
    assert_eq!(sent, [Channel::Email, Channel::Sms]);

    let Some(data) = moto_data(&endpoint).await else {
        return;
    };
    let mails: Vec<&Value> = records(&data, "ses", "Message")
        .iter()
        .filter(|m| m["source"] == sender.as_str())
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(
        mails[0]["destinations"]["ToAddresses"][0],
        email.to.as_str()
    );
    assert_eq!(mails[0]["subject"], email.subject.as_str());
    assert_eq!(mails[0]["body"], email.body.as_str());
    assert!(records(&data, "sns", "SMS")
        .iter()
        .any(|r| r["phone_number"] == sms.to.as_str()));
}

#[tokio::test]
async fn unverified_sender_is_rejected_and_the_address_stays_out_of_the_error() {
    let Some(endpoint) =
        moto("unverified_sender_is_rejected_and_the_address_stays_out_of_the_error")
    else {
        return;
    };
    let env = aws(&endpoint);
    let sender = format!("{}@example.com", unique("unverified"));
    let notifier = AwsNotifier::log_only().with_email(ses_client(&env), &sender);
    let email = email_to("Order ABCD1234: complete");
    let err = notifier
        .send(&notification(Some(email.clone()), None))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeliveryError::Rejected { code, .. } if code == "MessageRejected"),
        "{err}"
    );
    assert!(!err.to_string().contains(&email.to), "{err}");

    // With SMS also enabled, the SMS still goes out and is what is reported.
    let notifier = notifier.with_sms(sns_client(&env));
    let sent = notifier
        .send(&notification(Some(email), Some(sms_to("done"))))
        .await
        .unwrap();
    assert_eq!(sent, [Channel::Sms]);
}
