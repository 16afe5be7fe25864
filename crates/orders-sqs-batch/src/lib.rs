//! The plumbing of an SQS consumer with `ReportBatchItemFailures`, written
//! once: [`run_sqs_batch`] takes the batch, parses each record's body with
//! the consumer's function, runs the consumer's handler on it inside a span
//! carrying the message id, the receive count and (once the parse has told
//! it, with [`record_order_id`]) the order id, logs a failure, and answers
//! the batch's [`SqsBatchResponse`] listing the failed message ids. Only
//! those return to the queue (and reach its dead-letter queue after their
//! receives run out); the rest of the batch is deleted.
//!
//! This is the shape of the Lambda runtime's
//! `advanced-sqs-partial-batch-failures` example, with a parse step of our
//! own (the events are checked against their JSON Schemas, not just
//! deserialised) and the span every log line of the record carries.
//!
//! Records are handled concurrently: a consumer whose records touch their
//! own orders (every consumer here) needs no ordering within a batch.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use std::fmt::Display;
use std::future::Future;
use tracing::Instrument;

/// Why one record was not handled.
#[derive(Debug, thiserror::Error)]
pub enum RecordError<E> {
    #[error("the message has no body")]
    NoBody,
    /// What the parse or the handler returned.
    #[error(transparent)]
    Failed(E),
}

/// Records `order_id` on the current record's span; call it from the parse
/// (or the handler) as soon as the order id is known.
pub fn record_order_id(order_id: impl Display) {
    tracing::Span::current().record("order_id", tracing::field::display(order_id));
}

/// One batch: every record through `parse` then `handle`, concurrently;
/// the response lists the message ids of the records whose body is
/// missing, or whose parse or handler failed.
pub async fn run_sqs_batch<T, O, E, P, H, Fut>(
    event: &SqsEvent,
    parse: P,
    handle: H,
) -> SqsBatchResponse
where
    P: Fn(&str) -> Result<T, E>,
    H: Fn(T) -> Fut,
    Fut: Future<Output = Result<O, E>>,
    E: Display,
{
    let results = futures::future::join_all(
        event
            .records
            .iter()
            .map(|message| run_record(message, &parse, &handle)),
    )
    .await;
    let mut response = SqsBatchResponse::default();
    for (message, result) in event.records.iter().zip(results) {
        if result.is_err() {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// One record, inside its span.
async fn run_record<T, O, E, P, H, Fut>(
    message: &SqsMessage,
    parse: &P,
    handle: &H,
) -> Result<O, RecordError<E>>
where
    P: Fn(&str) -> Result<T, E>,
    H: Fn(T) -> Fut,
    Fut: Future<Output = Result<O, E>>,
    E: Display,
{
    let span = tracing::info_span!(
        "message",
        message_id = message.message_id.as_deref().unwrap_or_default(),
        receive_count = message
            .attributes
            .get("ApproximateReceiveCount")
            .map(String::as_str)
            .unwrap_or_default(),
        order_id = tracing::field::Empty,
    );
    async {
        let result = async {
            let body = message.body.as_deref().ok_or(RecordError::NoBody)?;
            let parsed = parse(body).map_err(RecordError::Failed)?;
            handle(parsed).await.map_err(RecordError::Failed)
        }
        .await;
        if let Err(e) = &result {
            // The body is not logged: a malformed one could carry anything.
            tracing::error!(error = %e, "message failed; it returns to the queue");
        }
        result
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests;
