//! SDK errors as the ports' [`StoreError`].

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use orders_core::error::StoreError;

/// Maps an SDK error ([`orders_aws_runtime::classify`]): load, service faults,
/// timeouts and unreachable endpoints become [`StoreError::Unavailable`]
/// (503, the client may retry), the rest `Other`.
pub(crate) fn classify<E>(op: &'static str, err: &SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = orders_aws_runtime::classify(op, err);
    let detail = format!("{}: {}", failure.op, failure.detail);
    if failure.retryable {
        StoreError::Unavailable(detail)
    } else {
        StoreError::Other(detail)
    }
}

const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// Attempts of a transaction that conflicts with another on the same items
/// ([`Cancelled::Conflict`]) before the store reports it unavailable.
pub(crate) const TRANSACTION_ATTEMPTS: u32 = 5;

/// The pause after the `attempt`th (1-based) conflicting transaction:
/// 20, 40, 80, ... ms, so the competing transaction has time to finish.
pub(crate) async fn conflict_backoff(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(10 << attempt.min(10))).await;
}

/// What a cancelled transaction's reasons say.
pub(crate) enum Cancelled {
    /// Per item, in request order: did its condition fail?
    Conditions(Vec<bool>),
    /// A conflicting transaction on the same items: worth another attempt.
    Conflict,
}

pub(crate) fn cancelled(
    op: &'static str,
    err: &SdkError<TransactWriteItemsError>,
) -> Result<Cancelled, StoreError> {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
        err.as_service_error()
    else {
        return Err(classify(op, err));
    };
    let codes: Vec<&str> = cancel
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or("None"))
        .collect();
    if codes
        .iter()
        .any(|c| c.contains("Throughput") || c.contains("Throttl"))
    {
        return Err(StoreError::Unavailable(format!(
            "{op} throttled: {codes:?}"
        )));
    }
    if codes.contains(&CONDITION_FAILED) {
        return Ok(Cancelled::Conditions(
            codes.iter().map(|c| *c == CONDITION_FAILED).collect(),
        ));
    }
    if codes.contains(&"TransactionConflict") {
        return Ok(Cancelled::Conflict);
    }
    Err(classify(op, err))
}
