//! Queue lookups: a queue's ARN from its URL and back, and the queues a
//! dead-letter queue serves.

use super::{unexpected, DeadLetterQueue};
use crate::classify::classify;
use crate::MessagingError;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;

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
}
