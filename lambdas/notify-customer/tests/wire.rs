//! The handler with the Lambda's own notifier (`AwsNotifier`, SES v2 and
//! SNS clients) against a stand-in endpoint that answers as SES and SNS
//! answer on the wire: the SDK parses the error, the adapter classifies it,
//! and the handler succeeds on a refusal for good and fails otherwise.

mod common;

use common::{ledger_state, order_with, processing, sns_event};
use notify_customer::handler::{handle, Deps, RecordError};
use orders_aws_messaging::{ses_client, sns_client, AwsEnv, AwsNotifier};
use orders_core::model::OrderStatus;
use orders_core::usecases::{NotifyError, NotifyOutcome};
use orders_core::DeliveryError;
use orders_sqlite::ledger::{REFUSED, SENDING};
use orders_test_support::World;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use uuid::Uuid;

const EMAIL: &str = "ada@example.com";
const PHONE: &str = "+14155550100";

/// Status, extra headers and body of an answer.
type Reply = (u16, &'static [(&'static str, &'static str)], String);

/// SES v2 (REST-JSON): the error code in `x-amzn-ErrorType`.
fn ses_error(status: u16, code: &'static str, message: &str) -> Reply {
    let headers: &'static [(&str, &str)] = match code {
        "MessageRejected" => &[("x-amzn-ErrorType", "MessageRejected")],
        "SendingPausedException" => &[("x-amzn-ErrorType", "SendingPausedException")],
        "ServiceUnavailable" => &[("x-amzn-ErrorType", "ServiceUnavailable")],
        other => panic!("no header for {other}"),
    };
    (status, headers, format!(r#"{{"message":"{message}"}}"#))
}

/// SNS (AWS query): the error code in the XML body.
fn sns_error(status: u16, code: &str, message: &str) -> Reply {
    (
        status,
        &[],
        format!(
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
             <Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
             <RequestId>r-1</RequestId></ErrorResponse>"
        ),
    )
}

/// A loopback HTTP endpoint answering every request with `reply(path)`, one
/// request per connection; counts the requests to SES and to SNS.
struct Endpoint {
    url: String,
    ses_calls: Arc<AtomicUsize>,
    sns_calls: Arc<AtomicUsize>,
}

async fn endpoint(ses: Reply, sns: Reply) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (ses_calls, sns_calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let counts = (ses_calls.clone(), sns_calls.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            // Headers, then as much body as Content-Length says.
            let (head_end, length) = loop {
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                request.extend_from_slice(&buf[..n]);
                if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (Some(end + 4), length);
                }
            };
            let Some(head_end) = head_end else { continue };
            while request.len() < head_end + length {
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&request[..head_end]).to_string();
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, headers, body) = if path.starts_with("/v2/email") {
                counts.0.fetch_add(1, Ordering::SeqCst);
                ses.clone()
            } else {
                counts.1.fetch_add(1, Ordering::SeqCst);
                sns.clone()
            };
            let content_type = if path.starts_with("/v2/email") {
                "application/json"
            } else {
                "text/xml"
            };
            let mut answer = format!(
                "HTTP/1.1 {status} Status\r\ncontent-type: {content_type}\r\n\
                 content-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                answer.push_str(&format!("{name}: {value}\r\n"));
            }
            answer.push_str("\r\n");
            answer.push_str(&body);
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    Endpoint {
        url,
        ses_calls,
        sns_calls,
    }
}

impl Endpoint {
    fn notifier(&self, email: bool, sms: bool) -> AwsNotifier {
        let env = AwsEnv::new("us-east-1", "a", "b").with_endpoint(&self.url);
        let mut n = AwsNotifier::log_only();
        if email {
            n = n.with_email(ses_client(&env), "orders@example.com");
        }
        if sms {
            n = n.with_sms(sns_client(&env));
        }
        n
    }

    fn calls(&self) -> (usize, usize) {
        (
            self.ses_calls.load(Ordering::SeqCst),
            self.sns_calls.load(Ordering::SeqCst),
        )
    }
}

async fn order(w: &World) -> Uuid {
    order_with(w, EMAIL, Some(PHONE)).await
}

async fn run(
    w: &World,
    notifier: &AwsNotifier,
    event: &str,
) -> Result<Vec<NotifyOutcome>, RecordError> {
    let deps = Deps {
        orders: &w.store,
        ledger: &w.store,
        notifier,
    };
    handle(&deps, sns_event(&[event])).await
}

#[tokio::test]
async fn ses_message_rejected_is_handled_once_and_keeps_the_address_out() {
    let ep = endpoint(
        ses_error(
            400,
            "MessageRejected",
            &format!("Email address is not verified. The following identities failed the check in region US-EAST-1: {EMAIL}"),
        ),
        sns_error(500, "InternalError", "unused"),
    )
    .await;
    let w = World::new();
    let id = order(&w).await;
    let notifier = ep.notifier(true, false);
    let event = processing(id);

    let outcomes = run(&w, &notifier, &event).await.unwrap();
    assert_eq!(
        outcomes,
        vec![NotifyOutcome::Refused {
            code: "MessageRejected".into()
        }]
    );
    assert_eq!(
        ledger_state(&w, id).await,
        (REFUSED.into(), Some("MessageRejected".into()))
    );
    assert_eq!(ep.calls(), (1, 0), "a refusal is not retried by the SDK");

    let again = run(&w, &notifier, &event).await.unwrap();
    assert_eq!(again, vec![NotifyOutcome::Duplicate]);
    assert_eq!(ep.calls(), (1, 0), "nor sent again on redelivery");

    // What the adapter reports never holds the address.
    let n = orders_notifications::render(
        &orders_core::ports::OrderReader::get_order(&w.store, id)
            .await
            .unwrap()
            .unwrap(),
        OrderStatus::Processing,
    )
    .unwrap();
    let err = orders_core::Notifier::send(&notifier, &n)
        .await
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(!err.to_string().contains(EMAIL), "{err}");
    // Only the service's message: the raw response (whose body echoes the
    // address in escaped forms) stays out.
    assert!(!err.to_string().contains("SdkBody"), "{err}");
}

#[tokio::test]
async fn an_account_paused_by_ses_is_a_refusal_too() {
    let ep = endpoint(
        ses_error(400, "SendingPausedException", "sending is paused"),
        sns_error(500, "InternalError", "unused"),
    )
    .await;
    let w = World::new();
    let id = order(&w).await;
    let outcomes = run(&w, &ep.notifier(true, false), &processing(id))
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![NotifyOutcome::Refused {
            code: "SendingPausedException".into()
        }]
    );
}

#[tokio::test]
async fn an_invalid_phone_number_is_handled() {
    let ep = endpoint(
        ses_error(503, "ServiceUnavailable", "unused"),
        sns_error(
            400,
            "InvalidParameter",
            &format!("Invalid parameter: PhoneNumber Reason: {PHONE} is not valid to publish to"),
        ),
    )
    .await;
    let w = World::new();
    let id = order(&w).await;
    let outcomes = run(&w, &ep.notifier(false, true), &processing(id))
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![NotifyOutcome::Refused {
            code: "InvalidParameter".into()
        }]
    );
    assert_eq!(ep.calls(), (0, 1));
}

#[tokio::test]
async fn a_throttled_or_failing_service_fails_the_invocation_for_a_retry() {
    // E-mail refused, SMS throttled: nothing went out and the SMS may pass
    // later, so the invocation fails (a retry tries both again).
    let ep = endpoint(
        ses_error(400, "MessageRejected", "no"),
        sns_error(400, "Throttling", "Rate exceeded"),
    )
    .await;
    let w = World::new();
    let id = order(&w).await;
    let r = run(&w, &ep.notifier(true, true), &processing(id)).await;
    assert!(
        matches!(
            &r,
            Err(RecordError::Notify(NotifyError::Delivery(
                DeliveryError::Unavailable(d)
            ))) if d.contains("Throttling")
        ),
        "{r:?}"
    );
    assert_eq!(ledger_state(&w, id).await, (SENDING.into(), None));

    // A fault on SES's side (the SDK retries it first), e-mail only.
    let ep = endpoint(
        ses_error(503, "ServiceUnavailable", "try later"),
        sns_error(500, "InternalError", "unused"),
    )
    .await;
    let w = World::new();
    let id = order(&w).await;
    let r = run(&w, &ep.notifier(true, false), &processing(id)).await;
    assert!(
        matches!(
            &r,
            Err(RecordError::Notify(NotifyError::Delivery(
                DeliveryError::Unavailable(_)
            )))
        ),
        "{r:?}"
    );
    assert!(ep.calls().0 >= 1);
    assert_eq!(ledger_state(&w, id).await, (SENDING.into(), None));
}

/// Log lines written while the test runs, as the functions write them
/// (`orders_telemetry::init_tracing`: JSON, the event's fields flattened,
/// the current span included).
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn json(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// The WARN line a metric filter counts (`{ $.notification_outcome =
/// "refused" }`): order id, status and code; no address or name anywhere in
/// the logs of the refusal.
#[tokio::test]
async fn a_refusal_writes_one_warn_line_with_ids_and_code_and_no_address() {
    let ep = endpoint(
        ses_error(
            400,
            "MessageRejected",
            &format!("Email address is not verified: {EMAIL}"),
        ),
        sns_error(
            400,
            "InvalidParameter",
            &format!("Invalid parameter: PhoneNumber Reason: {PHONE} is not valid"),
        ),
    )
    .await;
    let w = World::new();
    let id = order(&w).await;
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || writer.clone())
        .finish();
    let outcomes = {
        let _guard = tracing::subscriber::set_default(subscriber);
        run(&w, &ep.notifier(true, true), &processing(id))
            .await
            .unwrap()
    };
    assert_eq!(
        outcomes,
        vec![NotifyOutcome::Refused {
            code: "MessageRejected,InvalidParameter".into()
        }]
    );
    let logs = lines.json();
    let refused: Vec<&serde_json::Value> = logs
        .iter()
        .filter(|l| l["notification_outcome"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1, "{logs:#?}");
    let line = refused[0];
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["order_id"], id.to_string());
    assert_eq!(line["status"], "PROCESSING");
    assert_eq!(line["error_code"], "MessageRejected,InvalidParameter");
    assert_eq!(line["span"]["message_id"], "sns-0");
    // Per channel: the scope of each refusal.
    let channels: Vec<(&str, &str)> = logs
        .iter()
        .filter(|l| l["message"] == "notification channel refused for good")
        .map(|l| {
            (
                l["channel"].as_str().unwrap(),
                l["refusal"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(channels, [("email", "message"), ("sms", "message")]);
    let all = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    for secret in [EMAIL, "4155550100", "Ada", "Lovelace"] {
        assert!(!all.contains(secret), "{secret} in the logs:\n{all}");
    }
}
