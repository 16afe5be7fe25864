//! Fault injection for tests, through the SDK's own test tooling
//! (`aws-smithy-http-client`'s `test-util`: [`StaticReplayClient`],
//! [`NeverClient`], [`infallible_client_fn`]): a [`DynamoStore`] whose
//! client is built exactly as the functions build theirs
//! ([`orders_aws_runtime::AwsEnv::sdk_config`]: standard retries, 3 attempts), with
//! only the HTTP client swapped and the retry backoff shortened so tests
//! stay fast. Feature `test-util`; never in a function's build.

use crate::DynamoStore;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{Builder, HttpClient, SharedHttpClient};
use aws_smithy_types::body::SdkBody;
use orders_aws_runtime::AwsEnv;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use aws_smithy_http_client::test_util::{
    infallible_client_fn, NeverClient, ReplayEvent, StaticReplayClient,
};

/// The table every fault-injected store uses.
pub const TABLE: &str = "orders-faults";

/// The retries of the functions' clients (the standard mode's 3
/// attempts), with a 1 ms first backoff instead of the SDK's 1 s.
pub fn fast_retries() -> RetryConfig {
    RetryConfig::standard().with_initial_backoff(Duration::from_millis(1))
}

/// The answers the SDK retries and the store then reports as
/// unavailable: throughput exceeded, throttled, 500, 503.
pub fn retryable_faults() -> [fn() -> http::Response<SdkBody>; 4] {
    [
        throughput_exceeded,
        || error(400, "ThrottlingException"),
        || error(500, "InternalServerError"),
        || error(503, "ServiceUnavailable"),
    ]
}

/// The store on a client that never answers (`NeverClient`), with 50 ms
/// attempts: every call times out, three attempts in all.
pub fn hung_store() -> (DynamoStore, NeverClient) {
    let http = NeverClient::new();
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_millis(50))
        .operation_timeout(Duration::from_secs(2))
        .build();
    (store_on(http.clone(), Some(timeouts)), http)
}

/// The store on `http`, configured as in production except for
/// [`fast_retries`] and, when given, `timeouts`.
pub fn store_on(http: impl HttpClient + 'static, timeouts: Option<TimeoutConfig>) -> DynamoStore {
    // Loopback endpoint: a replay client answers, nothing is ever sent.
    let env = AwsEnv::new("us-east-1", "AKIDFAULTS", "secret").with_endpoint("http://127.0.0.1:9");
    let mut config = Builder::from(&env.sdk_config())
        .http_client(http)
        .retry_config(fast_retries());
    if let Some(t) = timeouts {
        config = config.timeout_config(t);
    }
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config.build()), TABLE)
}

/// A DynamoDB answer: `status` with a JSON `body` (awsJson 1.0).
pub fn answer(status: u16, body: &Value) -> http::Response<SdkBody> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .body(SdkBody::from(body.to_string()))
        .expect("a valid response")
}

/// A DynamoDB error answer: `status` and the error `type_name`
/// (`ProvisionedThroughputExceededException`, `ThrottlingException`,
/// `InternalServerError`, ...).
pub fn error(status: u16, type_name: &str) -> http::Response<SdkBody> {
    answer(
        status,
        &json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{type_name}"),
                "message": "injected fault"}),
    )
}

/// `ProvisionedThroughputExceededException` (400), as DynamoDB throttles.
pub fn throughput_exceeded() -> http::Response<SdkBody> {
    error(400, "ProvisionedThroughputExceededException")
}

/// A `TransactionCanceledException` (400) with one cancellation reason
/// per action, in request order: `"None"`, `"ConditionalCheckFailed"`,
/// `"TransactionConflict"`, ...
pub fn transaction_cancelled(codes: &[&str]) -> http::Response<SdkBody> {
    let reasons: Vec<Value> = codes.iter().map(|c| json!({ "Code": c })).collect();
    answer(
        400,
        &json!({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "Message": "Transaction cancelled", "CancellationReasons": reasons}),
    )
}

/// A `ConditionalCheckFailedException` (400), with `item` (DynamoDB JSON)
/// as the request's `ALL_OLD` copy when given.
pub fn condition_failed(item: Option<Value>) -> http::Response<SdkBody> {
    let mut body = json!({"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                          "message": "The conditional request failed"});
    if let Some(item) = item {
        body["Item"] = item;
    }
    answer(400, &body)
}

/// A replay client answering `responses` in order, whatever is asked.
pub fn replay(responses: impl IntoIterator<Item = http::Response<SdkBody>>) -> StaticReplayClient {
    StaticReplayClient::new(
        responses
            .into_iter()
            .map(|r| ReplayEvent::new(http::Request::new(SdkBody::empty()), r))
            .collect(),
    )
}

/// The `X-Amz-Target` operations a replay client was asked for, in order
/// (`PutItem`, `TransactWriteItems`, ...).
pub fn operations(client: &StaticReplayClient) -> Vec<String> {
    client
        .actual_requests()
        .map(|r| {
            let target = r.headers().get("x-amz-target").unwrap_or_default();
            target.rsplit('.').next().unwrap_or_default().to_string()
        })
        .collect()
}

/// The JSON bodies of the requests a replay client was asked, in order.
pub fn request_bodies(client: &StaticReplayClient) -> Vec<Value> {
    client
        .actual_requests()
        .map(|r| {
            serde_json::from_slice(r.body().bytes().unwrap_or_default()).unwrap_or(Value::Null)
        })
        .collect()
}

/// A table where every write is applied but the answer to the first
/// `lost` writes is a 500 (the write went through, its answer did not):
/// the SDK retries, and the retry meets the conditions the first attempt
/// made true, exactly as DynamoDB would answer it: a transaction retried
/// with the same `ClientRequestToken` succeeds without being applied again;
/// a put on an existing key fails its condition (`attribute_not_exists`),
/// with the old item when the request asked for `ALL_OLD`. Only puts are
/// modelled: a transaction's `ConditionCheck`s (the saga's fence) always
/// pass and write nothing.
#[derive(Clone, Default)]
pub struct LostAnswers {
    state: Arc<Mutex<LostState>>,
}

#[derive(Default)]
struct LostState {
    lost: usize,
    /// Items by (pk, sk): the table.
    items: HashMap<(String, String), Value>,
    /// Every write attempt: (operation, applied).
    writes: Vec<(String, bool)>,
    /// `ClientRequestToken`s of applied transactions: DynamoDB answers a
    /// retry with the same token (the SDK fills one per call, not per
    /// attempt) with success, without applying it again.
    tokens: Vec<String>,
}

impl LostAnswers {
    /// The first `lost` write answers are lost.
    pub fn new(lost: usize) -> Self {
        let t = Self::default();
        t.state.lock().unwrap().lost = lost;
        t
    }

    /// The HTTP client serving this table.
    pub fn client(&self) -> SharedHttpClient {
        let t = self.clone();
        infallible_client_fn(move |req| t.serve(req))
    }

    /// How many items the table holds.
    pub fn item_count(&self) -> usize {
        self.state.lock().unwrap().items.len()
    }

    /// Every write attempt that reached the table: (operation, applied).
    pub fn writes(&self) -> Vec<(String, bool)> {
        self.state.lock().unwrap().writes.clone()
    }

    fn serve(&self, req: http::Request<SdkBody>) -> http::Response<SdkBody> {
        let target = req
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok());
        let op = target
            .unwrap_or_default()
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_string();
        let body: Value =
            serde_json::from_slice(req.body().bytes().unwrap_or_default()).unwrap_or(Value::Null);
        // Per action in request order: its put, or `None` for one this
        // table does not model (a `ConditionCheck`: it passes).
        let actions: Vec<Option<&Value>> = match op.as_str() {
            "PutItem" => vec![Some(&body)],
            "TransactWriteItems" => body["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t.get("Put"))
                .collect(),
            _ => return error(400, "ValidationException"),
        };
        let mut s = self.state.lock().unwrap();
        let token = body["ClientRequestToken"].as_str().map(str::to_string);
        if token.as_ref().is_some_and(|t| s.tokens.contains(t)) {
            s.writes.push((op, false));
            return answer(200, &json!({}));
        }
        let key = |p: &Value| (p["Item"]["pk"].to_string(), p["Item"]["sk"].to_string());
        let old: Vec<Option<Value>> = actions
            .iter()
            .map(|p| p.and_then(|p| s.items.get(&key(p)).cloned()))
            .collect();
        if old.iter().all(Option::is_none) {
            for p in actions.iter().flatten() {
                s.items.insert(key(p), p["Item"].clone());
            }
            s.writes.push((op, true));
            s.tokens.extend(token);
            if s.lost > 0 {
                s.lost -= 1;
                return error(500, "InternalServerError");
            }
            return answer(200, &json!({}));
        }
        s.writes.push((op.clone(), false));
        let all_old = |p: &Value| p["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD";
        if op == "PutItem" {
            let mut e = json!({"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                               "message": "The conditional request failed"});
            if actions[0].is_some_and(all_old) {
                e["Item"] = old[0].clone().unwrap_or(Value::Null);
            }
            return answer(400, &e);
        }
        let reasons: Vec<Value> = actions
            .iter()
            .zip(&old)
            .map(|(p, o)| match (p, o) {
                (_, None) => json!({"Code": "None"}),
                (Some(p), Some(item)) if all_old(p) => {
                    json!({"Code": "ConditionalCheckFailed", "Item": item})
                }
                (_, Some(_)) => json!({"Code": "ConditionalCheckFailed"}),
            })
            .collect();
        answer(
            400,
            &json!({"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                    "Message": "Transaction cancelled", "CancellationReasons": reasons}),
        )
    }
}
