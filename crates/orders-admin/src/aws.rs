//! SQS dead-letter queues, through `orders-aws-messaging`.

use crate::report::{time, Letter, Listing, Output, Redriven, TaskList};
use crate::AdminError;
use orders_aws_messaging::dlq::{queue_arn, queue_url, DeadLetterQueue};
use orders_aws_messaging::{sqs_client, AwsEnv, MessagingError};

fn dlq(url: &str) -> Result<DeadLetterQueue, AdminError> {
    let client = sqs_client(&AwsEnv::from_env().map_err(MessagingError::from)?);
    Ok(DeadLetterQueue::new(client, url))
}

pub async fn list(url: &str, peek: usize) -> Result<Output, AdminError> {
    let q = dlq(url)?;
    let summary = q.list(peek).await?;
    let messages = (peek > 0).then(|| {
        summary
            .messages
            .into_iter()
            .map(|m| Letter {
                message_id: m.message_id,
                receive_count: m.receive_count,
                sent_at: m.sent_at_ms.and_then(time),
                first_received_at: m.first_received_at_ms.and_then(time),
                dead_lettered_at: None,
                source_arn: m.source_arn,
                attributes: m.attributes,
                body: m.body,
            })
            .collect()
    });
    Ok(Output::Listing(Listing {
        backend: "aws",
        dead_letter_queue: summary.queue_url,
        source_queue: None,
        db: None,
        count: summary.approximate_messages,
        in_flight: Some(summary.approximate_in_flight),
        source_visible: None,
        source_in_flight: None,
        messages,
    }))
}

/// Where a redrive sends the messages, if not back to their source.
pub struct Destination {
    pub url: Option<String>,
    pub arn: Option<String>,
}

pub async fn redrive(
    url: &str,
    to: Destination,
    by_copy: bool,
    max: Option<usize>,
) -> Result<Output, AdminError> {
    let q = dlq(url)?;
    if by_copy {
        let destination =
            match (to.url, to.arn) {
                (Some(u), _) => u,
                (None, Some(arn)) => queue_url(q.client(), &arn).await?,
                (None, None) => {
                    let sources = q.source_queues().await?;
                    match <[String; 1]>::try_from(sources) {
                        Ok([only]) => only,
                        Err(sources) if sources.is_empty() => return Err(AdminError::Usage(
                            "no queue names this dead-letter queue in its redrive policy (is it \
                             the dead-letter queue of an SNS subscription or a Lambda function?); \
                             say where to with --source-queue-url"
                                .into(),
                        )),
                        Err(sources) => {
                            return Err(AdminError::Usage(format!(
                            "{} queues name this dead-letter queue in their redrive policy ({}); \
                             say which with --source-queue-url",
                            sources.len(),
                            sources.join(", ")
                        )))
                        }
                    }
                }
            };
        let outcome = q.redrive_by_copy(&destination, max).await?;
        return Ok(Output::Redriven(Redriven {
            backend: "aws",
            dead_letter_queue: url.to_string(),
            method: "copy",
            moved: Some(outcome.moved),
            copied_not_deleted: Some(outcome.copied_not_deleted),
            failed: Some(outcome.failed),
            destination: Some(destination),
            task: None,
            not_found: Vec::new(),
        }));
    }
    let destination_arn = match (to.arn, to.url) {
        (Some(arn), _) => Some(arn),
        (None, Some(u)) => Some(queue_arn(q.client(), &u).await?),
        (None, None) => None,
    };
    let task = q
        .redrive(destination_arn.as_deref())
        .await
        .map_err(|source: MessagingError| AdminError::Hint {
            context: "could not start a message move task (if this endpoint has no move tasks, \
                      as moto, or the queue is the dead-letter queue of an SNS subscription or a \
                      Lambda function, use --by-copy)"
                .into(),
            source,
        })?;
    Ok(Output::Redriven(Redriven {
        backend: "aws",
        dead_letter_queue: url.to_string(),
        method: "move-task",
        moved: None,
        copied_not_deleted: None,
        failed: None,
        destination: destination_arn,
        task: Some(task),
        not_found: Vec::new(),
    }))
}

pub async fn redrive_status(url: &str) -> Result<Output, AdminError> {
    let tasks = dlq(url)?.redrive_status().await?;
    Ok(Output::Tasks(TaskList {
        dead_letter_queue: url.to_string(),
        tasks,
    }))
}
