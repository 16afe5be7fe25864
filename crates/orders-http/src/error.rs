//! What a domain error is on the wire: its HTTP status and the one error
//! model every response uses (`{"error": {"code", "message", "requestId"?,
//! "details"}}`, contracts/openapi.yaml). The code is the domain's
//! ([`OrdersError::code`]); the status and the words are chosen here.

use lambda_http::http::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use orders_core::error::{FieldError, OrdersError, StoreError};
use serde::Serialize;

/// The `Retry-After` of every "try again" answer (503), in seconds: the
/// store or a delivery was throttled, had a fault, timed out or was out of
/// reach after the SDK's own retries (3 attempts with backoff) were spent.
/// One second lets the table's capacity or the service recover without
/// keeping a client waiting long; clients add their own jitter.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The HTTP status of `err`.
pub fn status_of(err: &OrdersError) -> u16 {
    match err {
        OrdersError::MalformedJson(_)
        | OrdersError::Validation(_)
        | OrdersError::InvalidPageToken => 400,
        OrdersError::PayloadTooLarge { .. } => 413,
        OrdersError::NotFound(_) => 404,
        OrdersError::IdempotencyKeyReused => 422,
        OrdersError::InvalidTransition { .. } => 409,
        OrdersError::Store(StoreError::OrderExists(_)) => 409,
        OrdersError::Delivery(_) => 503,
        OrdersError::Store(StoreError::Unavailable(_)) => 503,
        OrdersError::Store(_) => 500,
    }
}

/// Seconds the client should wait before retrying `err`: every 503 has
/// [`RETRY_AFTER_SECS`], anything else none.
pub fn retry_after_of(err: &OrdersError) -> Option<u64> {
    (status_of(err) == 503).then_some(RETRY_AFTER_SECS)
}

/// Adds the headers `err`'s answer carries besides the body's
/// (`Retry-After` on a 503). The functions and the local host both call it.
pub fn add_error_headers(err: &OrdersError, headers: &mut HeaderMap) {
    if let Some(secs) = retry_after_of(err) {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
}

/// The body clients see for `err`. Store failures do not leak their internals.
pub fn error_body(err: &OrdersError, request_id: Option<&str>) -> ErrorBody {
    let busy = || "the service is busy; retry the request".to_string();
    let message = match err {
        OrdersError::Store(StoreError::Unavailable(_)) | OrdersError::Delivery(_) => busy(),
        OrdersError::Store(StoreError::OrderExists(_)) => "the order already exists".to_string(),
        OrdersError::Store(_) => "internal error".to_string(),
        other => other.to_string(),
    };
    let details = match err {
        OrdersError::Validation(d) => d.clone(),
        OrdersError::InvalidPageToken => vec![FieldError::new(
            "nextToken",
            "not a valid token for this query",
        )],
        OrdersError::InvalidTransition { status, action, .. } => vec![FieldError::new(
            "status",
            format!("is {status}; only a PENDING order can be {action}"),
        )],
        OrdersError::PayloadTooLarge { limit } => vec![FieldError::new(
            "body",
            format!("must be at most {limit} bytes"),
        )],
        _ => Vec::new(),
    };
    ErrorBody::new(err.code(), message, details, request_id)
}

/// `{"error": {"code", "message", "requestId"?, "details": [...]}}`
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub error: ErrorInner,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInner {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    pub details: Vec<FieldError>,
}

impl ErrorBody {
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        details: Vec<FieldError>,
        request_id: Option<&str>,
    ) -> Self {
        Self {
            error: ErrorInner {
                code: code.into(),
                message: message.into(),
                request_id: request_id.map(str::to_owned),
                details,
            },
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("error bodies always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::error::DeliveryError;

    #[test]
    fn statuses() {
        let cases = [
            (OrdersError::MalformedJson("x".into()), 400),
            (OrdersError::invalid("a", "b"), 400),
            (OrdersError::InvalidPageToken, 400),
            (OrdersError::PayloadTooLarge { limit: 1 }, 413),
            (OrdersError::NotFound("x".into()), 404),
            (OrdersError::IdempotencyKeyReused, 422),
            (
                OrdersError::InvalidTransition {
                    order_id: "x".into(),
                    status: orders_core::OrderStatus::Completed,
                    action: "cancelled",
                },
                409,
            ),
            (OrdersError::Store(StoreError::OrderExists("x".into())), 409),
            (OrdersError::Store(StoreError::Unavailable("t".into())), 503),
            (
                OrdersError::Delivery(DeliveryError::rejected("Code", "t")),
                503,
            ),
            (OrdersError::Store(StoreError::Corrupt("t".into())), 500),
            (OrdersError::Store(StoreError::Other("t".into())), 500),
        ];
        for (err, status) in cases {
            assert_eq!(status_of(&err), status, "{err:?}");
        }
    }

    #[test]
    fn every_503_and_only_503_says_when_to_retry() {
        use orders_core::error::DeliveryError;
        let unavailable = [
            OrdersError::Store(StoreError::Unavailable("throttled".into())),
            OrdersError::Delivery(DeliveryError::rejected("Code", "t")),
        ];
        for err in &unavailable {
            assert_eq!(retry_after_of(err), Some(RETRY_AFTER_SECS), "{err:?}");
            let mut headers = HeaderMap::new();
            add_error_headers(err, &mut headers);
            assert_eq!(headers[RETRY_AFTER], "1");
        }
        let others = [
            OrdersError::Store(StoreError::Other("t".into())),
            OrdersError::Store(StoreError::OrderExists("x".into())),
            OrdersError::NotFound("x".into()),
        ];
        for err in &others {
            assert_eq!(retry_after_of(err), None, "{err:?}");
            let mut headers = HeaderMap::new();
            add_error_headers(err, &mut headers);
            assert!(headers.is_empty());
        }
    }

    #[test]
    fn store_errors_do_not_leak() {
        let err = OrdersError::Store(StoreError::Other("table arn:aws:secret".into()));
        let json = error_body(&err, Some("r1")).to_json();
        assert!(!json.contains("arn:aws"));
        assert!(json.contains("\"requestId\":\"r1\""));
        assert!(json.contains("\"code\":\"INTERNAL\""));
    }

    #[test]
    fn details_name_the_field() {
        let body = error_body(&OrdersError::InvalidPageToken, None);
        assert_eq!(body.error.details[0].field, "nextToken");
        assert!(body.to_json().find("requestId").is_none());
    }
}
