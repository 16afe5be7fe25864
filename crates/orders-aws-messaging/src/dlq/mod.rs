//! Operations on an SQS dead-letter queue: how many messages it holds, what
//! they look like, and moving them back to be processed again.
//!
//! # Peeking is not free
//!
//! SQS has no read-only look at a queue: [`DeadLetterQueue::list`] receives
//! messages with a visibility timeout of 0, so they stay visible, but every
//! peek still counts as a receive. It increments each message's
//! `ApproximateReceiveCount` and sets `ApproximateFirstReceiveTimestamp` if
//! it was never received. A dead-letter queue has no redrive policy of its
//! own, so this only changes what those numbers show. A short-polling
//! receive sees a sample of the queue's servers, and with a timeout of 0
//! every round can return the same messages, so beyond the first batch of
//! 10 a peek is best effort.
//!
//! # Redrive
//!
//! [`DeadLetterQueue::redrive`] starts an SQS message move task
//! (`StartMessageMoveTask`): SQS moves every message, in the background, to
//! the queue it was dead-lettered from, or to a queue you name.
//! [`DeadLetterQueue::redrive_status`] lists the tasks. Move tasks only take
//! queues that are the dead-letter queue of another SQS queue (not of an SNS
//! subscription or a Lambda function), and some endpoints (moto) do not
//! implement them: [`DeadLetterQueue::redrive_by_copy`] does the same by
//! hand, batch by batch (receive, `SendMessageBatch` to the destination,
//! `DeleteMessageBatch` from the dead-letter queue). A message copied but
//! not deleted (a failure between the two calls) is delivered twice; the
//! consumers deduplicate.

mod copy;
mod move_task;
mod peek;
mod queues;

pub use queues::{queue_arn, queue_url};

use crate::classify::classify;
use crate::MessagingError;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_sdk_sqs::Client;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most messages one `ReceiveMessage` returns.
pub const MAX_BATCH: usize = 10;
/// How long [`DeadLetterQueue::redrive_by_copy`] hides a message it is
/// copying: if the copy fails it reappears in the dead-letter queue after
/// this, untouched.
pub const COPY_VISIBILITY_SECONDS: i32 = 30;

/// The counts of a dead-letter queue and the messages peeked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterSummary {
    pub queue_url: String,
    /// `ApproximateNumberOfMessages`: waiting to be redriven.
    pub approximate_messages: u64,
    /// `ApproximateNumberOfMessagesNotVisible`: received and not yet deleted
    /// or visible again (a running copy, a consumer).
    pub approximate_in_flight: u64,
    /// Up to the number asked for, oldest known first.
    pub messages: Vec<PeekedMessage>,
}

/// One message of a dead-letter queue, as peeked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeekedMessage {
    pub message_id: String,
    /// `ApproximateReceiveCount`: the receives on the source queue, plus any
    /// on this queue, including this peek.
    pub receive_count: u32,
    /// `SentTimestamp`, epoch milliseconds.
    pub sent_at_ms: Option<i64>,
    /// `ApproximateFirstReceiveTimestamp`, epoch milliseconds.
    pub first_received_at_ms: Option<i64>,
    /// `DeadLetterQueueSourceArn`: the queue SQS moved it from (set by SQS
    /// for a redrive-policy move; absent for SNS and Lambda failures).
    pub source_arn: Option<String>,
    /// The message's string attributes (Lambda's `ErrorCode`,
    /// `ErrorMessage`, `RequestID` for a failed asynchronous invocation;
    /// SNS's `eventType`, ...).
    pub attributes: BTreeMap<String, String>,
    pub body: String,
}

/// A started message move task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveTask {
    pub task_handle: String,
    pub source_arn: String,
    /// `None`: each message goes back to the queue it came from.
    pub destination_arn: Option<String>,
}

/// A message move task, as `ListMessageMoveTasks` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveTaskStatus {
    /// Present only while the task runs (it cancels the task).
    pub task_handle: Option<String>,
    /// `RUNNING`, `COMPLETED`, `CANCELLING`, `CANCELLED` or `FAILED`.
    pub status: String,
    pub source_arn: Option<String>,
    pub destination_arn: Option<String>,
    pub messages_moved: i64,
    pub messages_to_move: Option<i64>,
    pub failure_reason: Option<String>,
    /// Epoch milliseconds.
    pub started_at_ms: i64,
}

/// What [`DeadLetterQueue::redrive_by_copy`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyOutcome {
    /// Sent to the destination and deleted from the dead-letter queue.
    pub moved: usize,
    /// Sent to the destination, but the delete failed: the message is in
    /// both queues (it reappears in the dead-letter queue later).
    pub copied_not_deleted: usize,
    /// Not sent: still in the dead-letter queue (visible again after
    /// [`COPY_VISIBILITY_SECONDS`]).
    pub failed: usize,
}

/// One SQS dead-letter queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DeadLetterQueue {
    client: Client,
    url: String,
}

fn unexpected(op: &'static str, detail: impl Into<String>) -> MessagingError {
    MessagingError::Unexpected {
        op,
        detail: detail.into(),
    }
}

impl DeadLetterQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            url: queue_url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One `ReceiveMessage` of up to `want` messages, hidden for
    /// `visibility_timeout` seconds, waiting up to `wait_seconds`, with all
    /// their message attributes and the system attributes asked for.
    async fn receive(
        &self,
        want: usize,
        visibility_timeout: i32,
        wait_seconds: i32,
        system_attributes: Option<MessageSystemAttributeName>,
    ) -> Result<Vec<Message>, MessagingError> {
        Ok(self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(want as i32)
            .visibility_timeout(visibility_timeout)
            .wait_time_seconds(wait_seconds)
            .set_message_system_attribute_names(system_attributes.map(|a| vec![a]))
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| classify("ReceiveMessage", &e))?
            .messages
            .unwrap_or_default())
    }
}
