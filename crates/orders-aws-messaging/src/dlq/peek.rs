//! Counting and peeking at a dead-letter queue's messages (each peek counts
//! as a receive: see the module docs of [`super`]).

use super::{DeadLetterQueue, DeadLetterSummary, PeekedMessage, MAX_BATCH};
use crate::classify::classify;
use crate::MessagingError;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use std::collections::{HashMap, HashSet};

fn epoch_ms(
    attrs: &HashMap<MessageSystemAttributeName, String>,
    name: MessageSystemAttributeName,
) -> Option<i64> {
    attrs.get(&name).and_then(|v| v.parse().ok())
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

impl DeadLetterQueue {
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
                .receive(want, 0, 0, Some(MessageSystemAttributeName::All))
                .await?;
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
}
