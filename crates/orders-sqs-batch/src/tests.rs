//! The batch plumbing on records shaped as Lambda delivers them, with a
//! subscriber that keeps what each record's span carried.

use super::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Fields of every `message` span, by span id.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<BTreeMap<u64, BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            format!("{value:?}").trim_matches('"').to_string(),
        );
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() == "message" {
            let mut all = self.0.lock().unwrap();
            attrs.record(&mut Fields(all.entry(id.into_u64()).or_default()));
        }
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
}

impl Spans {
    /// (message id, order id) of every record's span, sorted.
    fn ids(&self) -> Vec<(String, String)> {
        let mut ids: Vec<_> = self
            .0
            .lock()
            .unwrap()
            .values()
            .map(|f| {
                let get = |k: &str| f.get(k).cloned().unwrap_or_default();
                (get("message_id"), get("order_id"))
            })
            .collect();
        ids.sort();
        ids
    }
}

/// An SQS event with one record per body (`None`: no body); message ids
/// `m-0`, `m-1`, ...
fn event(bodies: &[Option<&str>]) -> SqsEvent {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("m-{i}"),
                "receiptHandle": format!("r-{i}"),
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

/// `<order id>:<what to do>`: the parse records the order id, and fails
/// on anything without a colon.
fn parse(body: &str) -> Result<(String, String), String> {
    let (order, action) = body.split_once(':').ok_or("not an event")?;
    record_order_id(order);
    Ok((order.to_string(), action.to_string()))
}

fn failed(response: &SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn only_the_failed_records_are_reported_and_each_ran_in_its_span() {
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let handled = Mutex::new(Vec::new());
    let batch = event(&[
        Some("o-1:ok"),
        Some("garbage"),
        Some("o-3:fail"),
        None,
        Some("o-5:ok"),
    ]);
    let response = run_sqs_batch(&batch, parse, |(order, action): (String, String)| {
        let handled = &handled;
        async move {
            handled.lock().unwrap().push(order.clone());
            match action.as_str() {
                "ok" => Ok(order),
                _ => Err(format!("{order} failed")),
            }
        }
    })
    .await;
    assert_eq!(failed(&response), ["m-1", "m-2", "m-3"]);
    let mut handled = handled.into_inner().unwrap();
    handled.sort();
    assert_eq!(
        handled,
        ["o-1", "o-3", "o-5"],
        "parse failures are not handled"
    );
    let ids = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(m, o)| (m.to_string(), o.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        spans.ids(),
        ids(&[
            ("m-0", "o-1"),
            ("m-1", ""),
            ("m-2", "o-3"),
            ("m-3", ""),
            ("m-4", "o-5")
        ])
    );
}

#[tokio::test]
async fn an_empty_batch_and_a_clean_batch_report_nothing() {
    let ok = |_: (String, String)| async { Ok::<_, String>(()) };
    assert!(run_sqs_batch(&event(&[]), parse, ok)
        .await
        .batch_item_failures
        .is_empty());
    let clean = event(&[Some("o-1:a"), Some("o-2:b")]);
    assert!(run_sqs_batch(&clean, parse, ok)
        .await
        .batch_item_failures
        .is_empty());
}

#[test]
fn a_record_error_says_what_failed() {
    assert_eq!(
        RecordError::<String>::NoBody.to_string(),
        "the message has no body"
    );
    assert_eq!(RecordError::Failed("boom").to_string(), "boom");
}
