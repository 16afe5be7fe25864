//! The mapping of SDK errors onto [`MessagingError`], through the one
//! classification in `orders-aws-runtime`.

use crate::MessagingError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Maps an SDK error: throttling, service faults, timeouts and unreachable
/// endpoints become [`MessagingError::Unavailable`], everything else
/// [`MessagingError::Rejected`] (see [`orders_aws_runtime::classify`]).
pub(crate) fn classify<E>(op: &'static str, err: &SdkError<E, Response>) -> MessagingError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    orders_aws_runtime::classify(op, err).into()
}
