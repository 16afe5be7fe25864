//! The mapping of SDK errors onto [`MessagingError`].

use crate::MessagingError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Error codes that mean "too much load now, or a fault on the service's
/// side: retry later", across SNS, SES v2 and SQS.
const RETRYABLE_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "Throttled",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "KMSThrottling",
    "KMSThrottlingException",
    // SES: the sending rate or daily quota, which the next period restores.
    "LimitExceededException",
    "InternalError",
    "InternalFailure",
    "InternalErrorException",
    "ServiceUnavailable",
];

/// Maps an SDK error: throttling, 5xx, timeouts and unreachable endpoints
/// become [`MessagingError::Unavailable`], everything else
/// [`MessagingError::Rejected`].
pub(crate) fn classify<E>(op: &'static str, err: &SdkError<E, Response>) -> MessagingError
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
            transient_status
                || code
                    .as_deref()
                    .is_some_and(|c| RETRYABLE_CODES.contains(&c) || c.contains("Throttl"))
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
        tracing::warn!(op, code, "messaging service unavailable");
        MessagingError::Unavailable { op, code, detail }
    } else {
        tracing::error!(op, code, "messaging request rejected");
        MessagingError::Rejected { op, code, detail }
    }
}
