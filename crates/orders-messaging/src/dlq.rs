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

use crate::classify::classify;
use crate::MessagingError;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use aws_sdk_sqs::Client;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

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

fn epoch_ms(
    attrs: &HashMap<MessageSystemAttributeName, String>,
    name: MessageSystemAttributeName,
) -> Option<i64> {
    attrs.get(&name).and_then(|v| v.parse().ok())
}

fn unexpected(op: &'static str, detail: impl Into<String>) -> MessagingError {
    MessagingError::Unexpected {
        op,
        detail: detail.into(),
    }
}

fn peeked(m: Message) -> PeekedMessage {
    let attrs = m.attributes.unwrap_or_default();
    PeekedMessage {
        message_id: m.message_id.unwrap_or_default(),
        receive_count: attrs
            .get(&MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|v| v.parse().ok())
            .unwrap_or_default(),
        sent_at_ms: epoch_ms(&attrs, MessageSystemAttributeName::SentTimestamp),
        first_received_at_ms: epoch_ms(
            &attrs,
            MessageSystemAttributeName::ApproximateFirstReceiveTimestamp,
        ),
        source_arn: attrs
            .get(&MessageSystemAttributeName::DeadLetterQueueSourceArn)
            .cloned(),
        attributes: m
            .message_attributes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| v.string_value.map(|s| (k, s)))
            .collect(),
        body: m.body.unwrap_or_default(),
    }
}

/// The ARN of the queue at `queue_url`.
pub async fn queue_arn(client: &Client, queue_url: &str) -> Result<String, MessagingError> {
    let out = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| classify("GetQueueAttributes", &e))?;
    out.attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| unexpected("GetQueueAttributes", "no QueueArn"))
}

/// The URL of the queue `arn` names (`arn:aws:sqs:<region>:<account>:<name>`).
pub async fn queue_url(client: &Client, arn: &str) -> Result<String, MessagingError> {
    let parts: Vec<&str> = arn.split(':').collect();
    let [_, _, "sqs", _, account, name] = parts.as_slice() else {
        return Err(MessagingError::InvalidConfig {
            name: "queue ARN",
            problem: format!("{arn:?} is not an SQS queue ARN"),
        });
    };
    let out = client
        .get_queue_url()
        .queue_name(*name)
        .queue_owner_aws_account_id(*account)
        .send()
        .await
        .map_err(|e| classify("GetQueueUrl", &e))?;
    out.queue_url
        .ok_or_else(|| unexpected("GetQueueUrl", "no QueueUrl"))
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

    /// This queue's ARN.
    pub async fn arn(&self) -> Result<String, MessagingError> {
        queue_arn(&self.client, &self.url).await
    }

    /// The URLs of the queues whose redrive policy names this queue
    /// (`ListDeadLetterSourceQueues`).
    pub async fn source_queues(&self) -> Result<Vec<String>, MessagingError> {
        let mut urls = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_dead_letter_source_queues()
                .queue_url(&self.url)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("ListDeadLetterSourceQueues", &e))?;
            urls.extend(out.queue_urls);
            match out.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(urls),
            }
        }
    }

    /// The message counts, and up to `peek` messages looked at without
    /// being consumed (see the module docs: each peek counts as a receive).
    pub async fn list(&self, peek: usize) -> Result<DeadLetterSummary, MessagingError> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| classify("GetQueueAttributes", &e))?;
        let attrs = out.attributes.unwrap_or_default();
        let count = |name: QueueAttributeName| -> u64 {
            attrs
                .get(&name)
                .and_then(|v| v.parse().ok())
                .unwrap_or_default()
        };
        let approximate_messages = count(QueueAttributeName::ApproximateNumberOfMessages);
        let approximate_in_flight =
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
        let messages = if peek == 0 || approximate_messages == 0 {
            Vec::new()
        } else {
            self.peek(peek).await?
        };
        Ok(DeadLetterSummary {
            queue_url: self.url.clone(),
            approximate_messages,
            approximate_in_flight,
            messages,
        })
    }

    /// Up to `n` distinct messages, received with a visibility timeout of 0.
    async fn peek(&self, n: usize) -> Result<Vec<PeekedMessage>, MessagingError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        // Each round may return messages already seen; stop when one brings
        // nothing new, or after a few more rounds than `n` needs.
        let rounds = n.div_ceil(MAX_BATCH) + 2;
        for _ in 0..rounds {
            let want = (n - out.len()).min(MAX_BATCH);
            let received = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(want as i32)
                .visibility_timeout(0)
                .wait_time_seconds(0)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(|e| classify("ReceiveMessage", &e))?
                .messages
                .unwrap_or_default();
            let before = out.len();
            for m in received {
                let id = m.message_id.clone().unwrap_or_default();
                if out.len() < n && seen.insert(id) {
                    out.push(peeked(m));
                }
            }
            if out.len() >= n || out.len() == before {
                break;
            }
        }
        Ok(out)
    }

    /// Starts a message move task from this queue to `destination_arn`, or
    /// with `None` back to the queue each message was dead-lettered from.
    pub async fn redrive(&self, destination_arn: Option<&str>) -> Result<MoveTask, MessagingError> {
        let source_arn = self.arn().await?;
        let out = self
            .client
            .start_message_move_task()
            .source_arn(&source_arn)
            .set_destination_arn(destination_arn.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify("StartMessageMoveTask", &e))?;
        let task_handle = out
            .task_handle
            .ok_or_else(|| unexpected("StartMessageMoveTask", "no TaskHandle"))?;
        tracing::info!(queue = %self.url, destination = destination_arn.unwrap_or("(original source)"),
            "message move task started");
        Ok(MoveTask {
            task_handle,
            source_arn,
            destination_arn: destination_arn.map(str::to_string),
        })
    }

    /// The most recent message move tasks of this queue (at most 10, the
    /// latest first, as SQS keeps them).
    pub async fn redrive_status(&self) -> Result<Vec<MoveTaskStatus>, MessagingError> {
        let source_arn = self.arn().await?;
        let out = self
            .client
            .list_message_move_tasks()
            .source_arn(&source_arn)
            .max_results(10)
            .send()
            .await
            .map_err(|e| classify("ListMessageMoveTasks", &e))?;
        Ok(out
            .results
            .unwrap_or_default()
            .into_iter()
            .map(|t| MoveTaskStatus {
                task_handle: t.task_handle,
                status: t.status.unwrap_or_default(),
                source_arn: t.source_arn,
                destination_arn: t.destination_arn,
                messages_moved: t.approximate_number_of_messages_moved,
                messages_to_move: t.approximate_number_of_messages_to_move,
                failure_reason: t.failure_reason,
                started_at_ms: t.started_timestamp,
            })
            .collect())
    }

    /// Moves messages to the queue at `destination_url` by hand, batch by
    /// batch: receive up to 10 (hidden for [`COPY_VISIBILITY_SECONDS`]),
    /// send them with their body and message attributes, delete the ones
    /// sent. Stops when a receive finds nothing, or after `limit` messages.
    /// For standard queues (FIFO queues need a group id this does not
    /// invent).
    pub async fn redrive_by_copy(
        &self,
        destination_url: &str,
        limit: Option<usize>,
    ) -> Result<CopyOutcome, MessagingError> {
        let mut outcome = CopyOutcome::default();
        let mut handled = 0usize;
        loop {
            let want = limit.map_or(MAX_BATCH, |l| (l - handled).min(MAX_BATCH));
            if want == 0 {
                break;
            }
            let messages = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(want as i32)
                .visibility_timeout(COPY_VISIBILITY_SECONDS)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(|e| classify("ReceiveMessage", &e))?
                .messages
                .unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            handled += messages.len();
            let batch = self.copy_batch(destination_url, messages).await?;
            outcome.moved += batch.moved;
            outcome.copied_not_deleted += batch.copied_not_deleted;
            outcome.failed += batch.failed;
        }
        tracing::info!(queue = %self.url, moved = outcome.moved, failed = outcome.failed,
            copied_not_deleted = outcome.copied_not_deleted, "dead letters copied back");
        Ok(outcome)
    }

    async fn copy_batch(
        &self,
        destination_url: &str,
        messages: Vec<Message>,
    ) -> Result<CopyOutcome, MessagingError> {
        let mut entries = Vec::with_capacity(messages.len());
        let mut receipts = HashMap::new();
        for (i, m) in messages.into_iter().enumerate() {
            let id = i.to_string();
            let attributes: HashMap<String, MessageAttributeValue> =
                m.message_attributes.unwrap_or_default();
            entries.push(
                SendMessageBatchRequestEntry::builder()
                    .id(&id)
                    .message_body(m.body.unwrap_or_default())
                    .set_message_attributes((!attributes.is_empty()).then_some(attributes))
                    .build()
                    .map_err(|e| unexpected("SendMessageBatch", e.to_string()))?,
            );
            receipts.insert(id, m.receipt_handle.unwrap_or_default());
        }
        let total = entries.len();
        let sent = self
            .client
            .send_message_batch()
            .queue_url(destination_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| classify("SendMessageBatch", &e))?;
        for f in &sent.failed {
            tracing::warn!(code = %f.code, sender_fault = f.sender_fault, "dead letter not copied");
        }
        let deletes = sent
            .successful
            .iter()
            .filter_map(|s| receipts.get(&s.id).map(|r| (s.id.clone(), r.clone())))
            .map(|(id, receipt)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(id)
                    .receipt_handle(receipt)
                    .build()
                    .map_err(|e| unexpected("DeleteMessageBatch", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let copied = deletes.len();
        let mut outcome = CopyOutcome {
            failed: total - copied,
            ..CopyOutcome::default()
        };
        if copied == 0 {
            return Ok(outcome);
        }
        match self
            .client
            .delete_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(deletes))
            .send()
            .await
        {
            Ok(out) => {
                outcome.copied_not_deleted = out.failed.len();
                outcome.moved = copied - out.failed.len();
            }
            Err(e) => {
                // Already copied: report rather than fail the whole run.
                let e = classify("DeleteMessageBatch", &e);
                tracing::warn!(error = %e, "copied dead letters not deleted");
                outcome.copied_not_deleted = copied;
            }
        }
        Ok(outcome)
    }
}
