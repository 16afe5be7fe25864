//! The events the functions get, built from the JSON fixtures each function
//! crate keeps in `tests/fixtures/` (in the exact shape AWS sends), or, for
//! API Gateway, from scratch ([`proxy`]); and the answers they give.

pub mod proxy;

use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_http::http::HeaderMap;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};
use std::path::Path;

/// `tests/fixtures/<name>` of the crate at `manifest_dir`
/// (`fixture(env!("CARGO_MANIFEST_DIR"), "post-orders.json")`).
pub fn fixture(manifest_dir: &str, name: &str) -> Value {
    let path = Path::new(manifest_dir).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// As the Lambda runtime does: JSON -> `LambdaRequest` -> `http::Request`.
pub fn request(v: Value) -> Request {
    let req: LambdaRequest = serde_json::from_value(v).expect("an API Gateway REST event");
    req.into()
}

/// The event with `name: value` in both header maps, as API Gateway sends it.
pub fn with_header(mut v: Value, name: &str, value: &str) -> Value {
    v["headers"][name] = json!(value);
    v["multiValueHeaders"][name] = json!([value]);
    v
}

/// The event without header `name` (in both maps).
pub fn without_header(mut v: Value, name: &str) -> Value {
    for h in ["headers", "multiValueHeaders"] {
        if let Some(m) = v[h].as_object_mut() {
            m.remove(name);
        }
    }
    v
}

/// The event with these query parameters (repeats allowed), in both the
/// single- and multi-value maps (`null` when empty), as API Gateway sends them.
pub fn with_query(mut v: Value, params: &[(&str, &str)]) -> Value {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, val) in params {
        single.insert(k.to_string(), json!(val));
        multi
            .entry(k.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("an array")
            .push(json!(val));
    }
    let nullable = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    v["queryStringParameters"] = nullable(single);
    v["multiValueQueryStringParameters"] = nullable(multi);
    v
}

/// The event with path parameter `orderId` and the path `path`.
pub fn with_order_id(mut v: Value, id: &str, path: &str) -> Value {
    v["pathParameters"] = json!({ "orderId": id });
    v["path"] = json!(path);
    v
}

/// What an HTTP function answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as sent.
    pub raw: String,
}

impl Answer {
    /// Reads a response; every answer is a JSON text body.
    pub fn of(resp: Response<Body>) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let raw = match resp.body() {
            Body::Text(t) => t.clone(),
            other => panic!("expected a text body, got {other:?}"),
        };
        assert_eq!(headers["content-type"], "application/json");
        Self {
            status,
            headers,
            body: serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{e}: {raw}")),
            raw,
        }
    }

    /// The `field`s of the error details, in order.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|x| x["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `{"Records": [...]}` with one copy of the fixture's first record per
/// item, each filled in by `fill(record, index, item)`.
fn records(fixture: &Value, items: &[&str], fill: impl Fn(&mut Value, usize, &str)) -> Value {
    let template = &fixture["Records"][0];
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut r = template.clone();
            fill(&mut r, i, item);
            r
        })
        .collect();
    json!({ "Records": records })
}

/// An SQS event as JSON, one record per body, from the fixture's first
/// record; message ids `m-0`, `m-1`, ...
pub fn sqs_records(fixture: &Value, bodies: &[&str]) -> Value {
    records(fixture, bodies, |r, i, body| {
        r["messageId"] = json!(format!("m-{i}"));
        r["receiptHandle"] = json!(format!("receipt-{i}"));
        r["body"] = json!(body);
    })
}

/// An SNS event as JSON, one record per message, from the fixture's first
/// record; message ids `sns-0`, `sns-1`, ...
pub fn sns_records(fixture: &Value, messages: &[&str]) -> Value {
    records(fixture, messages, |r, i, message| {
        r["Sns"]["MessageId"] = json!(format!("sns-{i}"));
        r["Sns"]["Message"] = json!(message);
    })
}

/// [`sqs_records`], as the handlers take it.
pub fn sqs_event(fixture: &Value, bodies: &[&str]) -> SqsEvent {
    serde_json::from_value(sqs_records(fixture, bodies)).expect("an SQS event")
}

/// [`sns_records`], as the handlers take it.
pub fn sns_event(fixture: &Value, messages: &[&str]) -> SnsEvent {
    serde_json::from_value(sns_records(fixture, messages)).expect("an SNS event")
}
