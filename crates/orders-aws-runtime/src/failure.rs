//! One reading of SDK errors, for every service.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Error codes that mean "too much load now, or a fault on the service's
/// side: retry later": the union of the lists the DynamoDB adapter and the
/// messaging adapters (SNS, SES v2, SQS, and KMS behind them) kept
/// separately before. Step Functions throttles with `ThrottlingException`,
/// already here. Any code containing `Throttl` counts too, and so does any
/// answer with status 429 or 5xx.
pub const RETRYABLE_CODES: [&str; 17] = [
    // Throttling, under its many names.
    "Throttling",
    "ThrottlingException",
    "Throttled",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "KMSThrottling",
    "KMSThrottlingException",
    // DynamoDB: the table's or account's throughput, for now.
    "ProvisionedThroughputExceededException",
    // SES: the sending rate or daily quota, which the next period restores;
    // DynamoDB: too many control-plane operations at once.
    "LimitExceededException",
    // DynamoDB: a transaction with the same token is still running.
    "TransactionInProgressException",
    // Faults on the service's side.
    "InternalError",
    "InternalFailure",
    "InternalErrorException",
    "InternalServerError",
    "ServiceUnavailable",
];

/// What an SDK call's failure was, in terms every adapter can map to its
/// own error: `orders-dynamodb` to `StoreError::Unavailable` / `Other`,
/// `orders-aws-messaging` to `MessagingError::Unavailable` / `Rejected`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {code}: {detail}")]
pub struct SdkFailure {
    /// The operation, as the API names it (`PutItem`, `Publish`).
    pub op: &'static str,
    /// The service's error code; else `Timeout`, `DispatchFailure`,
    /// `ConstructionFailure`, `HTTP <status>` or `Unknown`.
    pub code: String,
    /// The whole error chain, for logs (may echo request values: an adapter
    /// that sends personal data redacts it).
    pub detail: String,
    /// Whether a later retry may succeed: throttled, a fault on the
    /// service's side, a timeout or an unreachable endpoint.
    pub retryable: bool,
}

/// Whether a service error code means "retry later".
fn is_retryable_code(code: &str) -> bool {
    RETRYABLE_CODES.contains(&code) || code.contains("Throttl")
}

/// Reads an SDK error: timeouts and dispatch failures (unreachable
/// endpoint, connection reset) are retryable; an answer is retryable when
/// its status is 429 or 5xx or its code is throttling or a service fault
/// ([`RETRYABLE_CODES`]); anything else (a request the SDK could not build,
/// a refusal) is not. Logged once here: a warning when retryable, else an
/// error, with the operation and the code.
pub fn classify<E>(op: &'static str, err: &SdkError<E, Response>) -> SdkFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(err).to_string();
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = match err {
        SdkError::ServiceError(se) => se.err().code().map(str::to_string),
        _ => None,
    };
    let transient_status = status.is_some_and(|s| s == 429 || s >= 500);
    let retryable = match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            transient_status || code.as_deref().is_some_and(is_retryable_code)
        }
        _ => false,
    };
    let code = code.unwrap_or_else(|| match (err, status) {
        (SdkError::TimeoutError(_), _) => "Timeout".to_string(),
        (SdkError::DispatchFailure(_), _) => "DispatchFailure".to_string(),
        (SdkError::ConstructionFailure(_), _) => "ConstructionFailure".to_string(),
        (_, Some(s)) => format!("HTTP {s}"),
        _ => "Unknown".to_string(),
    });
    if retryable {
        tracing::warn!(op, code, "AWS call failed; a retry may succeed");
    } else {
        tracing::error!(op, code, "AWS call failed");
    }
    SdkFailure {
        op,
        code,
        detail,
        retryable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    type Err = SdkError<ErrorMetadata, Response>;

    fn response(status: u16) -> Response {
        Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
    }

    fn service(code: Option<&str>, status: u16) -> Err {
        let mut meta = ErrorMetadata::builder().message("the service says no");
        if let Some(code) = code {
            meta = meta.code(code);
        }
        SdkError::service_error(meta.build(), response(status))
    }

    fn check(err: Err) -> (String, bool) {
        let f = classify("Op", &err);
        assert_eq!(f.op, "Op");
        (f.code, f.retryable)
    }

    #[test]
    fn every_listed_code_is_retryable_even_with_status_400() {
        for code in RETRYABLE_CODES {
            assert_eq!(check(service(Some(code), 400)), (code.to_string(), true));
        }
        // Names no list can foresee.
        assert!(check(service(Some("SomeServiceThrottledYou"), 400)).1);
    }

    #[test]
    fn refusals_are_not_retryable() {
        for code in [
            "ConditionalCheckFailedException",
            "ValidationException",
            "InvalidParameter",
            "AccessDeniedException",
            "AWS.SimpleQueueService.NonExistentQueue",
            "MessageRejected",
        ] {
            assert_eq!(check(service(Some(code), 400)), (code.to_string(), false));
        }
    }

    #[test]
    fn status_429_and_5xx_are_retryable_whatever_the_code() {
        assert_eq!(
            check(service(Some("Whatever"), 503)),
            ("Whatever".into(), true)
        );
        assert_eq!(check(service(None, 500)), ("HTTP 500".into(), true));
        assert_eq!(check(service(None, 429)), ("HTTP 429".into(), true));
        assert_eq!(check(service(None, 404)), ("HTTP 404".into(), false));
        // An answer the SDK could not read: its status decides.
        let unreadable = |status| SdkError::response_error("truncated body", response(status));
        assert_eq!(check(unreadable(502)), ("HTTP 502".into(), true));
        assert_eq!(check(unreadable(200)), ("HTTP 200".into(), false));
    }

    #[test]
    fn timeouts_and_dispatch_failures_are_retryable() {
        assert_eq!(
            check(SdkError::timeout_error("operation timed out")),
            ("Timeout".into(), true)
        );
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            check(SdkError::dispatch_failure(ConnectorError::io(
                refused.into()
            ))),
            ("DispatchFailure".into(), true)
        );
        assert_eq!(
            check(SdkError::construction_failure("bad input")),
            ("ConstructionFailure".into(), false)
        );
    }

    #[test]
    fn detail_carries_the_error_chain() {
        let f = classify("PutItem", &service(Some("ValidationException"), 400));
        assert!(f.detail.contains("the service says no"), "{}", f.detail);
        assert!(f.detail.contains("ValidationException"), "{}", f.detail);
        assert!(f.to_string().starts_with("PutItem: ValidationException: "));
    }
}
