//! Typed errors of the domain and of the stores, each with its stable code.
//!
//! The code (`VALIDATION_FAILED`, ...) is the error's identity, so it stays
//! here: logs, metrics and every front end name an error the same way. What
//! an error means on the wire (its HTTP status, the error-model body and the
//! words a client sees) is the HTTP crate's business: `orders_http::status_of`
//! and `orders_http::error_body`.

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
#[derive(Debug, Clone, thiserror::Error)]
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
    /// The service refused this message for good: an address it will not
    /// deliver to, a sender it does not accept, an account that may not
    /// send. The same request gets the same answer, so it is not retried.
    #[error("delivery rejected ({code}): {detail}")]
    Rejected {
        /// The service's error code (`MessageRejected`, `InvalidParameter`),
        /// comma-separated when several channels were refused: safe to log
        /// and to count, unlike the detail.
        code: String,
        /// The service's message, addresses masked.
        detail: String,
    },
}

impl DeliveryError {
    /// Shorthand for [`DeliveryError::Rejected`].
    pub fn rejected(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Rejected {
            code: code.into(),
            detail: detail.into(),
        }
    }

    /// Whether a later attempt cannot succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Rejected { .. })
    }
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

impl From<crate::model::InvalidOrderId> for OrdersError {
    fn from(e: crate::model::InvalidOrderId) -> Self {
        Self::invalid("orderId", e.to_string())
    }
}

impl OrdersError {
    /// Shorthand for a validation error on one field.
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, problem)])
    }

    /// Every code [`OrdersError::code`] returns; each is in the error
    /// model's `code` enum (contracts/schemas/error.schema.json).
    pub const CODES: &'static [&'static str] = &[
        "MALFORMED_JSON",
        "VALIDATION_FAILED",
        "PAYLOAD_TOO_LARGE",
        "NOT_FOUND",
        "IDEMPOTENCY_KEY_REUSED",
        "INVALID_PAGINATION_TOKEN",
        "INVALID_STATUS_TRANSITION",
        "SERVICE_UNAVAILABLE",
        "CONFLICT",
        "INTERNAL",
    ];

    /// The stable code clients and logs see.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// One error of every variant, and of every store/delivery case that
    /// has a code of its own. The match has no wildcard: a new variant
    /// does not compile until it is listed here.
    fn one_of_each() -> Vec<OrdersError> {
        let all = vec![
            OrdersError::MalformedJson("x".into()),
            OrdersError::invalid("a", "b"),
            OrdersError::PayloadTooLarge { limit: 1 },
            OrdersError::NotFound("o".into()),
            OrdersError::IdempotencyKeyReused,
            OrdersError::InvalidPageToken,
            OrdersError::InvalidTransition {
                order_id: "o".into(),
                status: crate::model::OrderStatus::Completed,
                action: "cancelled",
            },
            OrdersError::Store(StoreError::OrderExists("o".into())),
            OrdersError::Store(StoreError::Unavailable("t".into())),
            OrdersError::Store(StoreError::Corrupt("c".into())),
            OrdersError::Store(StoreError::Other("t".into())),
            OrdersError::Delivery(DeliveryError::Unavailable("d".into())),
            OrdersError::Delivery(DeliveryError::rejected("c", "d")),
        ];
        for e in &all {
            match e {
                OrdersError::MalformedJson(_)
                | OrdersError::Validation(_)
                | OrdersError::PayloadTooLarge { .. }
                | OrdersError::NotFound(_)
                | OrdersError::IdempotencyKeyReused
                | OrdersError::InvalidPageToken
                | OrdersError::InvalidTransition { .. }
                | OrdersError::Store(_)
                | OrdersError::Delivery(_) => {}
            }
        }
        all
    }

    /// `CODES` is exactly what the variants emit.
    #[test]
    fn codes_are_what_the_variants_emit() {
        let emitted: BTreeSet<&str> = one_of_each().iter().map(OrdersError::code).collect();
        let listed: BTreeSet<&str> = OrdersError::CODES.iter().copied().collect();
        assert_eq!(emitted, listed);
        assert_eq!(
            listed.len(),
            OrdersError::CODES.len(),
            "a code listed twice"
        );
    }

    /// Every code the domain emits is in the error model clients validate
    /// against (the other direction, every schema code emitted by someone,
    /// is orders-local's test: it sees the gateway's and the host's codes too).
    #[test]
    fn every_emitted_code_is_in_the_error_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../contracts/schemas/error.schema.json"))
                .unwrap();
        let enumerated = schema["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap();
        for code in OrdersError::CODES {
            assert!(enumerated.iter().any(|c| c == code), "{code}");
        }
    }

    #[test]
    fn codes() {
        assert_eq!(
            OrdersError::MalformedJson("x".into()).code(),
            "MALFORMED_JSON"
        );
        assert_eq!(OrdersError::invalid("a", "b").code(), "VALIDATION_FAILED");
        assert_eq!(
            OrdersError::InvalidPageToken.code(),
            "INVALID_PAGINATION_TOKEN"
        );
        assert_eq!(
            OrdersError::Store(StoreError::Unavailable("t".into())).code(),
            "SERVICE_UNAVAILABLE"
        );
        assert_eq!(
            OrdersError::Store(StoreError::Other("t".into())).code(),
            "INTERNAL"
        );
    }
}
