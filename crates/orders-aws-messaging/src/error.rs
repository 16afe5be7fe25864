//! Errors of the adapters.

use orders_aws_runtime::{MissingEnv, SdkFailure};
use orders_core::DeliveryError;

/// What building a client or calling a messaging service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    /// A required environment variable is missing or empty.
    #[error("{0} is not set")]
    MissingEnv(&'static str),
    /// An environment variable or argument has a value this crate cannot use.
    #[error("{name}: {problem}")]
    InvalidConfig { name: &'static str, problem: String },
    /// Throttled, a server error, a timeout or an unreachable endpoint:
    /// retrying later may succeed.
    #[error("{op}: service unavailable ({code}): {detail}")]
    Unavailable {
        op: &'static str,
        code: String,
        detail: String,
    },
    /// The service refused the request for good (bad address, not allowed,
    /// no such queue, unsupported operation).
    #[error("{op}: rejected ({code}): {detail}")]
    Rejected {
        op: &'static str,
        code: String,
        detail: String,
    },
    /// The service answered without something it always sends.
    #[error("{op}: unexpected response: {detail}")]
    Unexpected { op: &'static str, detail: String },
}

impl MessagingError {
    /// Whether a later retry may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// The service's error code, if the service answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Unavailable { code, .. } | Self::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl From<MissingEnv> for MessagingError {
    fn from(MissingEnv(name): MissingEnv) -> Self {
        Self::MissingEnv(name)
    }
}

impl From<SdkFailure> for MessagingError {
    fn from(f: SdkFailure) -> Self {
        let SdkFailure {
            op,
            code,
            detail,
            retryable,
        } = f;
        if retryable {
            Self::Unavailable { op, code, detail }
        } else {
            Self::Rejected { op, code, detail }
        }
    }
}

impl From<MessagingError> for DeliveryError {
    fn from(e: MessagingError) -> Self {
        if e.is_retryable() {
            DeliveryError::Unavailable(e.to_string())
        } else {
            let code = e.code().unwrap_or("Unknown").to_string();
            DeliveryError::rejected(code, e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_error_keeps_the_retry_decision() {
        let unavailable = MessagingError::Unavailable {
            op: "Publish",
            code: "Throttled".into(),
            detail: "slow down".into(),
        };
        assert!(matches!(
            DeliveryError::from(unavailable),
            DeliveryError::Unavailable(m) if m.contains("Throttled")
        ));
        let rejected = MessagingError::Rejected {
            op: "Publish",
            code: "InvalidParameter".into(),
            detail: "bad".into(),
        };
        assert!(matches!(
            DeliveryError::from(rejected),
            DeliveryError::Rejected { code, .. } if code == "InvalidParameter"
        ));
        assert!(matches!(
            DeliveryError::from(MessagingError::MissingEnv("X")),
            DeliveryError::Rejected { .. }
        ));
    }

    #[test]
    fn sdk_failures_keep_op_code_and_the_retry_decision() {
        let failure = |retryable| SdkFailure {
            op: "Publish",
            code: "Throttled".into(),
            detail: "slow down".into(),
            retryable,
        };
        let e = MessagingError::from(failure(true));
        assert!(e.is_retryable());
        assert_eq!(e.code(), Some("Throttled"));
        assert_eq!(
            e.to_string(),
            "Publish: service unavailable (Throttled): slow down"
        );
        let e = MessagingError::from(failure(false));
        assert!(!e.is_retryable());
        assert_eq!(e.to_string(), "Publish: rejected (Throttled): slow down");
        assert_eq!(
            MessagingError::from(MissingEnv("AWS_REGION")).to_string(),
            "AWS_REGION is not set"
        );
    }
}
