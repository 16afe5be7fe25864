//! Typed errors of the domain and of the stores, each with its HTTP status
//! and stable code, and the one error model every response uses.

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the input: `customerId`, `items[2].price`, a header or query name.
    pub field: String,
    /// What is wrong with it, in words a client developer can act on.
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// What a store (DynamoDB, SQLite) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An order with this id already exists (the conditional write failed).
    #[error("order {0} already exists")]
    OrderExists(String),
    /// The store refused for load or is out of reach; the client may retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store answered with data the domain cannot read.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Anything else the store reported.
    #[error("store error: {0}")]
    Other(String),
}

/// What publishing an event or sending a notification can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The service refused for load or is out of reach; retry later.
    #[error("delivery unavailable: {0}")]
    Unavailable(String),
    /// The service refused this message for good (bad address, not allowed).
    #[error("delivery rejected: {0}")]
    Rejected(String),
}

/// Every way a use case can fail. Each maps to one HTTP status and code.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("order {0} was not found")]
    NotFound(String),
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    #[error("nextToken is not a token this API issued for this query")]
    InvalidPageToken,
    #[error("order {order_id} is {status} and cannot be {action}")]
    InvalidTransition {
        order_id: String,
        status: crate::model::OrderStatus,
        action: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

impl OrdersError {
    /// Shorthand for a validation error on one field.
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, problem)])
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::MalformedJson(_) | Self::Validation(_) | Self::InvalidPageToken => 400,
            Self::PayloadTooLarge { .. } => 413,
            Self::NotFound(_) => 404,
            Self::IdempotencyKeyReused => 422,
            Self::InvalidTransition { .. } => 409,
            Self::Store(StoreError::OrderExists(_)) => 409,
            Self::Delivery(_) => 503,
            Self::Store(StoreError::Unavailable(_)) => 503,
            Self::Store(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "MALFORMED_JSON",
            Self::Validation(_) => "VALIDATION_FAILED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::NotFound(_) => "NOT_FOUND",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::InvalidPageToken => "INVALID_PAGINATION_TOKEN",
            Self::InvalidTransition { .. } => "INVALID_STATUS_TRANSITION",
            Self::Delivery(_) => "SERVICE_UNAVAILABLE",
            Self::Store(StoreError::OrderExists(_)) => "CONFLICT",
            Self::Store(StoreError::Unavailable(_)) => "SERVICE_UNAVAILABLE",
            Self::Store(_) => "INTERNAL",
        }
    }

    /// The body clients see. Store failures do not leak their internals.
    pub fn to_body(&self, request_id: Option<&str>) -> ErrorBody {
        let message = match self {
            Self::Store(StoreError::Unavailable(_)) => {
                "the service is busy; retry the request".to_string()
            }
            Self::Store(StoreError::OrderExists(_)) => "the order already exists".to_string(),
            Self::Store(_) => "internal error".to_string(),
            Self::Delivery(_) => "the service is busy; retry the request".to_string(),
            other => other.to_string(),
        };
        let details = match self {
            Self::Validation(d) => d.clone(),
            Self::InvalidPageToken => vec![FieldError::new(
                "nextToken",
                "not a valid token for this query",
            )],
            Self::InvalidTransition { status, action, .. } => vec![FieldError::new(
                "status",
                format!("is {status}; only a PENDING order can be {action}"),
            )],
            Self::PayloadTooLarge { limit } => {
                vec![FieldError::new(
                    "body",
                    format!("must be at most {limit} bytes"),
                )]
            }
            _ => Vec::new(),
        };
        ErrorBody::new(self.code(), message, details, request_id)
    }
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

    #[test]
    fn statuses_and_codes() {
        assert_eq!(OrdersError::MalformedJson("x".into()).status(), 400);
        assert_eq!(OrdersError::invalid("a", "b").status(), 400);
        assert_eq!(OrdersError::PayloadTooLarge { limit: 1 }.status(), 413);
        assert_eq!(OrdersError::NotFound("x".into()).status(), 404);
        assert_eq!(OrdersError::IdempotencyKeyReused.status(), 422);
        assert_eq!(
            OrdersError::InvalidPageToken.code(),
            "INVALID_PAGINATION_TOKEN"
        );
        assert_eq!(
            OrdersError::Store(StoreError::Unavailable("t".into())).status(),
            503
        );
        assert_eq!(
            OrdersError::Store(StoreError::Other("t".into())).status(),
            500
        );
    }

    #[test]
    fn store_errors_do_not_leak() {
        let body = OrdersError::Store(StoreError::Other("table arn:aws:secret".into()))
            .to_body(Some("r1"));
        let json = body.to_json();
        assert!(!json.contains("arn:aws"));
        assert!(json.contains("\"requestId\":\"r1\""));
    }
}
