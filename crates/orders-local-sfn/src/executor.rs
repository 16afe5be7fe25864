//! The runtime: starts executions, drives them (bounded concurrency),
//! resumes the unfinished ones on start-up, and commits every step.
//!
//! # Durability
//!
//! An execution's row holds the state it stands in (entered, not finished)
//! with that state's input. A step (invoke the task, then compute its
//! output and run the task-less states after it up to the next Task or the
//! end) is committed in one transaction with its history events, so a
//! kill -9 at any point resumes at the state that had not finished: its
//! task may run a second time (the saga's tasks are idempotent, which is
//! what makes that harmless, as under Express workflows' at-least-once). A
//! retry's wait is stored as a due time, so a restart waits only what is
//! left. The `version` column makes each commit conditional on the step it
//! started from, so two drivers can never both move one execution.

use crate::definition::Definition;
use crate::engine::{enter, Event, EventType, Landing};
use crate::error::{ExecutorError, TaskError};
use crate::store::{self, ExecutionDetail, ExecutionStatus, ExecutionSummary, Update};
use async_trait::async_trait;
use orders_core::ports::StartOutcome;
use orders_sqlite::{now_epoch_millis, SqliteStore};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;

/// Runs a task's function: the local host calls the Lambda crates' handlers.
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Runs `function` (the substituted `FunctionName`, or the Resource of a
    /// bare Lambda task) with `payload`; an error carries the name `Retry`
    /// and `Catch` match (the Lambda function's `errorType`).
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskError>;

    /// What the executor calls, with the execution and state it runs for;
    /// by default [`TaskInvoker::invoke`].
    async fn invoke_task(
        &self,
        context: &TaskContext<'_>,
        function: &str,
        payload: Value,
    ) -> Result<Value, TaskError> {
        let _ = context;
        self.invoke(function, payload).await
    }
}

/// Which execution and state a task runs for.
#[derive(Debug, Clone, Copy)]
pub struct TaskContext<'a> {
    pub execution: &'a str,
    pub state: &'a str,
    /// 0 for the first attempt, then the retries this state made so far.
    pub retries: u32,
}

/// How the executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// Steps (task invocations and their commits) running at once.
    pub concurrency: usize,
    /// Multiplies every retry wait: 1.0 is real time; tests use e.g. 0.001.
    pub wait_scale: f64,
}

impl Default for ExecutorOptions {
    fn default() -> Self {
        Self {
            concurrency: 16,
            wait_scale: 1.0,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) store: SqliteStore,
    pub(crate) definition: Arc<Definition>,
    pub(crate) invoker: Arc<dyn TaskInvoker>,
    pub(crate) options: ExecutorOptions,
    pub(crate) permits: Semaphore,
    started: mpsc::UnboundedSender<String>,
    /// Taken by the runner while it runs.
    receiver: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
}

/// Executions of one definition on the store's file. Cheap to clone.
#[derive(Clone)]
pub struct Executor {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("state_machine", &self.inner.definition.name)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Which executions [`Executor::list`] returns.
#[derive(Debug, Clone, Copy)]
pub struct ListFilter {
    pub status: Option<ExecutionStatus>,
    pub limit: usize,
}

impl Default for ListFilter {
    fn default() -> Self {
        Self {
            status: None,
            limit: 100,
        }
    }
}

/// The row update and closing event for where a step landed.
pub(crate) fn conclude(landing: Landing, now: i64, events: &mut Vec<Event>) -> Update {
    match landing {
        Landing::Task { state, input } => Update::Running {
            state,
            input,
            retry_counts: Vec::new(),
            retry_due_at: None,
        },
        Landing::Succeeded(output) => {
            events.push(Event::new(EventType::ExecutionSucceeded, None, now).output(&output));
            Update::Finished {
                status: ExecutionStatus::Succeeded,
                output: Some(output),
                error: None,
                at: now,
            }
        }
        Landing::Failed(error) => {
            events.push(Event::new(EventType::ExecutionFailed, None, now).error(&error));
            Update::Finished {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(error),
                at: now,
            }
        }
    }
}

/// Sleeps `ms`; `false` if the stop signal came first.
pub(crate) async fn pause(ms: i64, stop: &mut watch::Receiver<bool>) -> bool {
    let sleep = tokio::time::sleep(Duration::from_millis(ms.max(0) as u64));
    tokio::select! {
        _ = sleep => true,
        _ = stop.wait_for(|s| *s) => false,
    }
}

impl Executor {
    pub fn new(
        store: SqliteStore,
        definition: Definition,
        invoker: Arc<dyn TaskInvoker>,
        options: ExecutorOptions,
    ) -> Self {
        let (started, receiver) = mpsc::unbounded_channel();
        Self {
            inner: Arc::new(Inner {
                store,
                definition: Arc::new(definition),
                invoker,
                permits: Semaphore::new(options.concurrency.max(1)),
                options,
                started,
                receiver: Mutex::new(Some(receiver)),
            }),
        }
    }

    pub fn definition(&self) -> &Definition {
        &self.inner.definition
    }

    pub(crate) fn machine(&self) -> String {
        self.inner.definition.name.clone()
    }

    /// Starts an execution (a durable insert); a running runner picks it up
    /// at once, otherwise the next runner resumes it. An existing name is
    /// [`StartOutcome::AlreadyStarted`], whatever its status (as Standard
    /// workflows do).
    pub async fn start(&self, name: &str, input: Value) -> Result<StartOutcome, ExecutorError> {
        let def = &self.inner.definition;
        let now = now_epoch_millis();
        let mut events = vec![Event::new(EventType::ExecutionStarted, None, now).input(&input)];
        let landing = enter(def, def.start_at(), input.clone(), now, &mut events);
        let update = conclude(landing, now, &mut events);
        let running = matches!(update, Update::Running { .. });
        let inserted = store::insert(
            &self.inner.store,
            self.machine(),
            name.to_string(),
            input,
            now,
            update,
            events,
        )
        .await?;
        if !inserted {
            tracing::info!(execution = name, state_machine = %def.name, "execution exists already");
            return Ok(StartOutcome::AlreadyStarted);
        }
        tracing::info!(execution = name, state_machine = %def.name, "execution started");
        if running {
            // No runner yet: the runner's start-up scan finds it.
            let _ = self.inner.started.send(name.to_string());
        }
        Ok(StartOutcome::Started)
    }

    /// Executions, newest first.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<ExecutionSummary>, ExecutorError> {
        store::list(
            &self.inner.store,
            self.machine(),
            filter.status,
            filter.limit,
        )
        .await
    }

    /// One execution with its history.
    pub async fn get(&self, name: &str) -> Result<Option<ExecutionDetail>, ExecutorError> {
        store::detail(&self.inner.store, self.machine(), name.to_string()).await
    }

    /// Drives executions until `stop` turns true: first every RUNNING one
    /// (from the state it stood in), then each new one as it starts. On
    /// stop, drivers end at their next step boundary (a task being invoked
    /// finishes and is committed first) and this returns when all ended.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) -> Result<(), ExecutorError> {
        let mut receiver = self
            .inner
            .receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or(ExecutorError::AlreadyRunning)?;
        let result = self.run_with(&mut receiver, &mut stop).await;
        *self
            .inner
            .receiver
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(receiver);
        result
    }

    async fn run_with(
        &self,
        receiver: &mut mpsc::UnboundedReceiver<String>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), ExecutorError> {
        let mut drivers = Drivers::default();
        let for_drivers = stop.clone();
        let resumed = store::running(&self.inner.store, self.machine()).await?;
        if !resumed.is_empty() {
            tracing::info!(executions = resumed.len(), state_machine = %self.inner.definition.name, "resuming unfinished executions");
        }
        for name in resumed {
            drivers.spawn(self, name, &for_drivers);
        }
        loop {
            if *stop.borrow() {
                break;
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                Some(name) = receiver.recv() => drivers.spawn(self, name, &for_drivers),
                Some(done) = drivers.set.join_next_with_id() => drivers.reap(done),
            }
        }
        while let Some(done) = drivers.set.join_next_with_id().await {
            drivers.reap(done);
        }
        Ok(())
    }
}

/// The running drivers, at most one per execution.
#[derive(Default)]
struct Drivers {
    set: JoinSet<()>,
    names: HashMap<tokio::task::Id, String>,
    in_flight: HashSet<String>,
}

impl Drivers {
    fn spawn(&mut self, executor: &Executor, name: String, stop: &watch::Receiver<bool>) {
        if !self.in_flight.insert(name.clone()) {
            return;
        }
        let executor = executor.clone();
        let stop = stop.clone();
        let driven = name.clone();
        let handle = self
            .set
            .spawn(async move { executor.drive(driven, stop).await });
        self.names.insert(handle.id(), name);
    }

    fn reap(&mut self, done: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let id = match done {
            Ok((id, ())) => id,
            Err(e) => {
                tracing::error!(error = %e, "an execution driver failed; the execution resumes at the next start");
                e.id()
            }
        };
        if let Some(name) = self.names.remove(&id) {
            self.in_flight.remove(&name);
        }
    }
}
