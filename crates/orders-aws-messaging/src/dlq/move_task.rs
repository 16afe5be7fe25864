//! Redrive by an SQS message move task (`StartMessageMoveTask`) and the
//! tasks' status (`ListMessageMoveTasks`).

use super::{unexpected, DeadLetterQueue, MoveTask, MoveTaskStatus};
use crate::classify::classify;
use crate::MessagingError;

impl DeadLetterQueue {
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
}
