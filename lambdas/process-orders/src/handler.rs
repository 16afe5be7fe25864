//! Maps an SQS batch to [`orders_core::usecases::process_order_created`],
//! one message at a time, and reports the messages that failed
//! (`ReportBatchItemFailures`): only those return to the queue, and each
//! reaches the dead-letter queue after its receives run out.
//!
//! A message fails alone when it is not JSON, does not validate against its
//! event schema, is an event type the processor does not take, names an
//! unknown order, or meets a store or topic error (worth a retry). The rest
//! of the batch succeeds.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::Utc;
use orders_core::events::OrderEvent;
use orders_core::usecases::{process_order_created, ProcessOutcome};
use orders_core::{EventPublisher, OrderStatusUpdater};
use tracing::Instrument;

/// Why one message was not processed.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("the message has no body")]
    NoBody,
    #[error("the message is not a valid event: {0}")]
    Invalid(String),
    #[error("the processor does not take {0} events")]
    UnexpectedType(&'static str),
    #[error(transparent)]
    Failed(#[from] orders_core::OrdersError),
}

/// One batch. Messages are processed concurrently (each touches its own
/// order); the response lists the ids of those that failed.
pub async fn handle<U, P>(updater: &U, publisher: &P, event: SqsEvent) -> SqsBatchResponse
where
    U: OrderStatusUpdater + ?Sized,
    P: EventPublisher + ?Sized,
{
    let results = futures::future::join_all(
        event
            .records
            .iter()
            .map(|m| process_message(updater, publisher, m)),
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

/// One message, inside a span with its message id (and order id once known).
pub async fn process_message<U, P>(
    updater: &U,
    publisher: &P,
    message: &SqsMessage,
) -> Result<ProcessOutcome, MessageError>
where
    U: OrderStatusUpdater + ?Sized,
    P: EventPublisher + ?Sized,
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
            let body = message.body.as_deref().ok_or(MessageError::NoBody)?;
            let event =
                OrderEvent::from_json(body).map_err(|e| MessageError::Invalid(e.join("; ")))?;
            tracing::Span::current().record("order_id", tracing::field::display(event.order_id()));
            match event {
                OrderEvent::OrderCreated(created) => {
                    Ok(process_order_created(updater, publisher, &created, Utc::now()).await?)
                }
                other => Err(MessageError::UnexpectedType(other.event_type())),
            }
        }
        .await;
        if let Err(e) = &result {
            // The body is not logged: it is only ids and amounts, but a
            // malformed one could carry anything.
            tracing::error!(error = %e, "message failed; it returns to the queue");
        }
        result
    }
    .instrument(span)
    .await
}
