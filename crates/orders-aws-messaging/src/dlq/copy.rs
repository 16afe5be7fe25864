//! Redrive by hand where message move tasks are not available: receive,
//! `SendMessageBatch` to the destination, `DeleteMessageBatch` from the
//! dead-letter queue.

use super::{unexpected, CopyOutcome, DeadLetterQueue, COPY_VISIBILITY_SECONDS, MAX_BATCH};
use crate::classify::classify;
use crate::MessagingError;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageAttributeValue, SendMessageBatchRequestEntry,
};
use std::collections::HashMap;

impl DeadLetterQueue {
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
            let messages = self.receive(want, COPY_VISIBILITY_SECONDS, 1, None).await?;
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
