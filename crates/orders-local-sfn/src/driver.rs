//! Driving one execution: wait for a retry's due time, invoke the state's
//! task, and commit what it led to, step after step until the end or the
//! stop signal.

use crate::engine::{
    advance, caught, run_inline, task_call, task_output, Event, EventType, Landing,
};
use crate::error::{names, ExecutorError, TaskError};
use crate::executor::{conclude, pause, Executor, TaskContext};
use crate::model::{Kind, Next, State, Task};
use crate::retry::{handle, Handling};
use crate::store::{self, ExecutionStatus, Progress, Update};
use orders_sqlite::now_epoch_millis;
use serde_json::Value;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

/// How a step ended before its commit.
enum Step {
    Commit(Update, Vec<Event>),
    /// The stop signal came during a wait.
    Stopped,
}

impl Executor {
    /// Drives `name` until it ends, the stop signal, or an error (logged:
    /// the execution stays RUNNING and resumes at the next start).
    pub(crate) async fn drive(&self, name: String, stop: watch::Receiver<bool>) {
        let span = tracing::info_span!("execution", execution = %name, state_machine = %self.inner.definition.name);
        if let Err(e) = self.drive_steps(&name, stop).instrument(span.clone()).await {
            span.in_scope(
                || tracing::error!(error = %e, "execution stalled; it resumes at the next start"),
            );
        }
    }

    async fn drive_steps(
        &self,
        name: &str,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), ExecutorError> {
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let Some(progress) =
                store::progress(&self.inner.store, self.machine(), name.to_string()).await?
            else {
                return Ok(());
            };
            if progress.status != ExecutionStatus::Running {
                return Ok(());
            }
            let state = progress.current_state.clone().unwrap_or_default();
            let step = self
                .step(name, &progress, &mut stop)
                .instrument(tracing::info_span!("state", state = %state))
                .await?;
            let Step::Commit(update, events) = step else {
                return Ok(());
            };
            let finished = match &update {
                Update::Finished { status, error, .. } => Some((*status, error.clone())),
                Update::Running { .. } => None,
            };
            if !store::commit(
                &self.inner.store,
                self.machine(),
                name.to_string(),
                progress.version,
                update,
                events,
            )
            .await?
            {
                tracing::warn!("the execution was moved by another driver; leaving it to that one");
                return Ok(());
            }
            if let Some((status, error)) = finished {
                match error {
                    None => tracing::info!(status = status.as_str(), "execution finished"),
                    Some(e) => {
                        tracing::warn!(status = status.as_str(), error = %e.error, cause = %e.cause, "execution finished")
                    }
                }
                return Ok(());
            }
        }
    }

    /// The execution's deadline (epoch ms), from its `TimeoutSeconds`.
    fn deadline(&self, progress: &Progress) -> Option<i64> {
        let seconds = self.inner.definition.timeout_seconds?;
        Some(
            progress
                .started_at
                .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX / 2_000) * 1_000),
        )
    }

    fn timed_out(&self, now: i64, mut events: Vec<Event>) -> Step {
        let seconds = self.inner.definition.timeout_seconds.unwrap_or_default();
        let error = TaskError::new(
            names::TIMEOUT,
            format!("The execution ran longer than its TimeoutSeconds ({seconds})"),
        );
        events.push(Event::new(EventType::ExecutionTimedOut, None, now).error(&error));
        Step::Commit(
            Update::Finished {
                status: ExecutionStatus::TimedOut,
                output: None,
                error: Some(error),
                at: now,
            },
            events,
        )
    }

    async fn step(
        &self,
        name: &str,
        progress: &Progress,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Step, ExecutorError> {
        let def = &self.inner.definition;
        let corrupt =
            |what: &str| ExecutorError::Corrupt(format!("execution {name} has no {what}"));
        let state_name = progress
            .current_state
            .as_deref()
            .ok_or_else(|| corrupt("current state"))?;
        let input = progress
            .state_input
            .clone()
            .ok_or_else(|| corrupt("state input"))?;
        let deadline = self.deadline(progress);
        let now = now_epoch_millis();
        if deadline.is_some_and(|d| now >= d) {
            return Ok(self.timed_out(now, Vec::new()));
        }
        let task = match def.state(state_name).map(|s| (s, &s.kind)) {
            Some((state, Kind::Task(task))) => (state, task.as_ref()),
            // Resumed in a task-less state (only if the definition changed).
            _ => {
                let mut events = Vec::new();
                let landing = run_inline(def, state_name, input, now, &mut events);
                return Ok(Step::Commit(conclude(landing, now, &mut events), events));
            }
        };
        if let Some(due) = progress.retry_due_at.filter(|due| *due > now) {
            let until = deadline.map_or(due, |d| due.min(d));
            tracing::debug!(wait_ms = until - now, "waiting for the retry's due time");
            if !pause(until - now, stop).await {
                return Ok(Step::Stopped);
            }
            if deadline.is_some_and(|d| now_epoch_millis() >= d) {
                return Ok(self.timed_out(now_epoch_millis(), Vec::new()));
            }
        }
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| corrupt("permit"))?;
        Ok(self
            .run_task(name, state_name, task, input, progress, deadline)
            .await)
    }

    async fn run_task(
        &self,
        name: &str,
        state_name: &str,
        (state, task): (&State, &Task),
        input: Value,
        progress: &Progress,
        deadline: Option<i64>,
    ) -> Step {
        let def = &self.inner.definition;
        let mut events = Vec::new();
        let outcome = match task_call(state, task, &input) {
            Err(e) => Err(e),
            Ok((function, payload, effective)) => {
                events.push(
                    Event::new(
                        EventType::TaskScheduled,
                        Some(state_name),
                        now_epoch_millis(),
                    )
                    .input(&effective),
                );
                let context = TaskContext {
                    execution: name,
                    state: state_name,
                    retries: progress.retry_counts.iter().sum(),
                };
                let call = self.inner.invoker.invoke_task(&context, &function, payload);
                let task_limit = task.timeout_seconds.map(|s| s.saturating_mul(1_000) as i64);
                let execution_limit = deadline.map(|d| d - now_epoch_millis());
                let limit = match (task_limit, execution_limit) {
                    (Some(t), Some(e)) => Some(t.min(e)),
                    (t, e) => t.or(e),
                };
                let result = match limit {
                    None => call.await,
                    Some(ms) => {
                        match tokio::time::timeout(Duration::from_millis(ms.max(0) as u64), call)
                            .await
                        {
                            Ok(result) => result,
                            Err(_) if execution_limit.is_some_and(|e| e <= ms) => {
                                return self.timed_out(now_epoch_millis(), events);
                            }
                            Err(_) => Err(TaskError::new(
                                names::TIMEOUT,
                                format!(
                                    "Task timed out after {} seconds",
                                    task.timeout_seconds.unwrap_or_default()
                                ),
                            )),
                        }
                    }
                };
                let now = now_epoch_millis();
                match result {
                    Ok(output) => {
                        events.push(
                            Event::new(EventType::TaskSucceeded, Some(state_name), now)
                                .output(&output),
                        );
                        task_output(state, task, &input, output)
                    }
                    Err(error) => {
                        events.push(
                            Event::new(EventType::TaskFailed, Some(state_name), now).error(&error),
                        );
                        Err(error)
                    }
                }
            }
        };
        let now = now_epoch_millis();
        let error = match outcome {
            Ok(output) => {
                let landing = advance(def, state_name, output, &task.next, now, &mut events);
                return Step::Commit(conclude(landing, now, &mut events), events);
            }
            Err(error) => error,
        };
        let landing = match handle(&task.retry, &task.catch, &progress.retry_counts, &error) {
            Handling::Retry { index, done } => {
                let wait = task.retry[index].wait(done, self.inner.options.wait_scale);
                let due = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                let mut counts = progress.retry_counts.clone();
                counts.resize(task.retry.len(), 0);
                counts[index] = done + 1;
                tracing::info!(error = %error.error, retry = done + 1, wait_ms = due - now, "task failed; retry scheduled");
                let mut event =
                    Event::new(EventType::RetryScheduled, Some(state_name), now).error(&error);
                event.due_at = Some(due);
                events.push(event);
                let update = Update::Running {
                    state: state_name.to_string(),
                    input,
                    retry_counts: counts,
                    retry_due_at: Some(due),
                };
                return Step::Commit(update, events);
            }
            Handling::Catch(index) => {
                let catcher = &task.catch[index];
                tracing::info!(error = %error.error, next = %catcher.next, "task failed; caught");
                match caught(&catcher.result_path, &input, &error) {
                    Ok(next_input) => {
                        events.push(
                            Event::new(EventType::CatchTaken, Some(state_name), now)
                                .error(&error)
                                .output(&next_input),
                        );
                        advance(
                            def,
                            state_name,
                            next_input,
                            &Next::State(catcher.next.clone()),
                            now,
                            &mut events,
                        )
                    }
                    Err(e) => Landing::Failed(e),
                }
            }
            Handling::Fail => Landing::Failed(error),
        };
        Step::Commit(conclude(landing, now, &mut events), events)
    }
}
