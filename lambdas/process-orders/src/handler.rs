//! Maps an SQS batch to [`orders_core::usecases::process_order_created`],
//! each message on its own, and reports the messages that failed
//! (`ReportBatchItemFailures`): only those return to the queue, and each
//! reaches the dead-letter queue after its receives run out. The batch
//! plumbing is [`orders_sqs_batch::run_sqs_batch`]; this is the parse and the
//! use case.
//!
//! A message fails alone when it has no body, is not JSON, does not
//! validate against its event schema, is an event type the processor does
//! not take, names an unknown order, or meets a store or Step Functions error (worth
//! a retry). The rest of the batch succeeds.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::Utc;
use orders_core::events::{OrderCreated, OrderEvent};
use orders_core::usecases::process_order_created;
use orders_core::{OrderStatusUpdater, WorkflowStarter};
use orders_sqs_batch::{record_order_id, run_sqs_batch};

/// Why one message was not processed (a message without a body is
/// reported by [`orders_sqs_batch`]).
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("the message is not a valid event: {0}")]
    Invalid(String),
    #[error("the processor does not take {0} events")]
    UnexpectedType(&'static str),
    #[error(transparent)]
    Failed(#[from] orders_core::OrdersError),
}

/// One batch ([`run_sqs_batch`]: concurrently, each message touches its
/// own order, in a span with its message id and order id); the response
/// lists the ids of the messages that failed.
pub async fn handle<U, W>(updater: &U, starter: &W, event: SqsEvent) -> SqsBatchResponse
where
    U: OrderStatusUpdater + ?Sized,
    W: WorkflowStarter + ?Sized,
{
    run_sqs_batch(&event, parse, |created| async move {
        Ok::<_, MessageError>(process_order_created(updater, starter, &created, Utc::now()).await?)
    })
    .await
}

/// The body as an `OrderCreated`, checked against its schema.
pub fn parse(body: &str) -> Result<OrderCreated, MessageError> {
    let event = orders_validation::events::parse_event(body)
        .map_err(|e| MessageError::Invalid(e.join("; ")))?;
    record_order_id(event.order_id());
    match event {
        OrderEvent::OrderCreated(created) => Ok(created),
        other => Err(MessageError::UnexpectedType(other.event_type())),
    }
}
