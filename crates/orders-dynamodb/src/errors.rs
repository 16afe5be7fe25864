//! SDK errors as the ports' [`StoreError`].

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use orders_core::error::StoreError;

/// Maps an SDK error ([`orders_aws::classify`]): load, service faults,
/// timeouts and unreachable endpoints become [`StoreError::Unavailable`]
/// (503, the client may retry), the rest `Other`.
pub(crate) fn classify<E>(op: &'static str, err: &SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = orders_aws::classify(op, err);
    let detail = format!("{}: {}", failure.op, failure.detail);
    if failure.retryable {
        StoreError::Unavailable(detail)
    } else {
        StoreError::Other(detail)
    }
}
