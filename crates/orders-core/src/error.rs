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
