//! The asynchronous side of the local host, in-process, on the store's file:
//!
//! ```text
//! create (order row + OrderCreated outbox row, one transaction)
//!   └─ dispatcher ── outbox → queue `order-events`            (the pipe)
//!        └─ processors ── SQS-shaped batches of ≤ 10 → process-orders handler
//!             └─ PENDING → PROCESSING, then the saga starts   (Step Functions)
//!                  └─ executor ── order-saga.asl.json → payments, inventory,
//!                                 settle-order handlers
//! every status move (its OrderStatusChanged outbox row, same transaction)
//!   └─ dispatcher ── outbox → queue `order-notifications`     (stream → pipe → topic)
//!        └─ notifier ── SNS-shaped events → notify-customer handler
//!             └─ ledger + `sent_notifications`                (SES / SMS)
//! ```
//!
//! Every hop is a committed SQLite transaction and a message is deleted
//! only after its handler succeeded, so a crash (kill -9) at any point loses
//! nothing: undeleted messages come back after their visibility timeout,
//! and the handlers' conditional writes and the send ledger make the
//! redeliveries harmless. A message that fails three receives moves to the
//! queue's dead-letter queue (`<name>-dlq`), where `orders-admin dlq`
//! lists and redrives it.
//!
//! [`Faults`] (off by default) makes the pipeline do on purpose what AWS
//! does now and then: saga tasks that fail before or after committing, a
//! duplicate saga execution (`<orderId>~dup`), a redelivered
//! `OrderCreated` (`<eventId>~redelivery`), all repeatable from a seed.

pub use crate::envelopes::{sns_event, sqs_event};
use crate::saga_workflow::SagaStarter;
use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use notify_customer::handler::Deps;
use orders_local_aws::dispatcher::{self, Redelivery};
use orders_local_aws::notifier::RecordingNotifier;
use orders_local_aws::queue::{Message, Queue, QueueConfig};
use orders_local_sfn::faults::{fires, kinds};
use orders_local_sfn::{Executor, ExecutorOptions, TaskFaults};
use orders_sqlite::SqliteStore;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The processing queue (the pipe's target).
pub const ORDER_EVENTS_QUEUE: &str = "order-events";
/// The notifications "topic": a queue the notifier consumes.
pub const NOTIFICATIONS_QUEUE: &str = "order-notifications";

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// How long a received message stays hidden before it is delivered
    /// again (SQS: 6 × the processor timeout).
    pub visibility_timeout: Duration,
    /// Processor workers, each taking batches of up to 10.
    pub processors: usize,
    /// Notifier workers.
    pub notifiers: usize,
    /// Multiplies every retry wait of the saga (1.0: the workflow's real
    /// `IntervalSeconds` and `BackoffRate`; tests run faster with less).
    pub retry_wait_scale: f64,
    /// Saga executions run at once.
    pub saga_concurrency: usize,
    /// Faults injected on purpose; none by default.
    pub faults: Faults,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            visibility_timeout: Duration::from_secs(30),
            processors: 2,
            notifiers: 2,
            retry_wait_scale: 1.0,
            saga_concurrency: 32,
            faults: Faults::default(),
        }
    }
}

/// What the pipeline does wrong on purpose, as AWS sometimes does
/// (`--saga-faults`, `--saga-duplicates`, `--redeliver`, `--fault-seed`).
/// Every decision is a pure function of `seed` and what it is about, so a
/// seed replays the same faults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Errors around the saga's tasks, before or after they commit.
    pub saga: TaskFaults,
    /// Probability that an order's saga also runs as a second, concurrent
    /// execution named `<orderId>~dup`.
    pub duplicates: f64,
    /// Probability that an `OrderCreated` reaches the processor twice.
    pub redeliver: f64,
    pub seed: u64,
}

impl Faults {
    pub fn is_on(&self) -> bool {
        !self.saga.is_empty() || self.duplicates > 0.0 || self.redeliver > 0.0
    }

    /// The banner's line (`Faults ON: ...`); `None` when off.
    pub fn banner(&self) -> Option<String> {
        if !self.is_on() {
            return None;
        }
        let saga = if self.saga.is_empty() {
            "none".to_string()
        } else {
            self.saga.to_string()
        };
        Some(format!(
            "Faults ON: saga faults {saga}; duplicates {}; redeliver {}; seed {}",
            self.duplicates, self.redeliver, self.seed
        ))
    }

    /// The dispatcher's redelivery decision, by event id.
    fn redelivery(&self) -> Option<Redelivery> {
        let (p, seed) = (self.redeliver, self.seed);
        (p > 0.0).then(|| {
            Redelivery::new(move |event_id| {
                fires(p, seed, kinds::REDELIVERY, &[event_id.as_bytes()])
            })
        })
    }

    fn saga_starter(&self, executor: &Executor) -> SagaStarter {
        if self.duplicates > 0.0 {
            SagaStarter::with_duplicates(executor.clone(), self.duplicates, self.seed)
        } else {
            SagaStarter::new(executor.clone())
        }
    }
}

/// The running loops; [`Pipeline::stop`] ends them between batches.
pub struct Pipeline {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// The saga executor's options for `config` (defaults without a pipeline:
/// the executor then only answers `/local/executions`).
pub fn saga_options(config: Option<&PipelineConfig>) -> ExecutorOptions {
    let defaults = PipelineConfig::default();
    let config = config.unwrap_or(&defaults);
    ExecutorOptions {
        concurrency: config.saga_concurrency.max(1),
        wait_scale: config.retry_wait_scale.max(0.0),
    }
}

/// The queues of a store, as the pipeline uses them.
pub fn queues(store: &SqliteStore) -> Result<(Queue, Queue), orders_core::StoreError> {
    Ok((
        Queue::new(store.clone(), QueueConfig::new(ORDER_EVENTS_QUEUE))?,
        Queue::new(store.clone(), QueueConfig::new(NOTIFICATIONS_QUEUE))?,
    ))
}

impl Pipeline {
    /// Starts the dispatcher, the processors, the saga's executor and the
    /// notifiers. `executor` runs the saga (its options come from
    /// [`saga_options`], its task faults from `config.faults` through
    /// [`crate::saga::saga_executor_with_faults`]); the processors start
    /// executions on it.
    pub fn start(
        store: &SqliteStore,
        executor: &Executor,
        config: &PipelineConfig,
    ) -> Result<Self, orders_core::StoreError> {
        let (events, notifications) = queues(store)?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();

        // The pipe: woken by the store after each commit that wrote outbox
        // rows, and looking every 200 ms for other processes' writes.
        let mut route = dispatcher::Route::new(events.clone(), notifications.clone());
        if let Some(redelivery) = config.faults.redelivery() {
            route = route.with_redelivery(redelivery);
        }
        tasks.spawn(dispatcher::run(route, stopped.clone()));

        // The saga: every unfinished execution resumes where it stood, then
        // each new one runs as the processors start it.
        let runner = executor.clone();
        let runner_stop = stopped.clone();
        tasks.spawn(async move {
            if let Err(e) = runner.run(runner_stop).await {
                tracing::error!(error = %e, "the saga executor stopped");
            }
        });
        let starter = Arc::new(config.faults.saga_starter(executor));
        for _ in 0..config.processors.max(1) {
            tasks.spawn(processor(
                store.clone(),
                events.clone(),
                starter.clone(),
                config.visibility_timeout,
                stopped.clone(),
            ));
        }
        let notifier = Arc::new(RecordingNotifier::new(store.clone()));
        for _ in 0..config.notifiers.max(1) {
            tasks.spawn(notifier_loop(
                store.clone(),
                notifications.clone(),
                notifier.clone(),
                // A delivery that finds another one holding the ledger lease
                // fails; retrying before the lease ends would only burn
                // receives (Lambda's asynchronous retries wait a minute too).
                config
                    .visibility_timeout
                    .max(orders_core::usecases::NOTIFICATION_LEASE),
                stopped.clone(),
            ));
        }
        Ok(Self { stop, tasks })
    }

    /// Stops the loops after their current batch.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Waits for `d` or for the stop signal; true when stopping.
async fn pause(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = stopped.changed() => true,
        _ = tokio::time::sleep(d) => *stopped.borrow(),
    }
}

/// Long-polls a queue for a batch; `None` when stopping.
async fn next_batch(
    queue: &Queue,
    visibility: Duration,
    stopped: &mut watch::Receiver<bool>,
) -> Option<Vec<Message>> {
    loop {
        if *stopped.borrow() {
            return None;
        }
        let received = tokio::select! {
            r = queue.receive(10, Duration::from_secs(1), visibility) => r,
            _ = stopped.changed() => return None,
        };
        match received {
            Ok(batch) if !batch.is_empty() => return Some(batch),
            Ok(_) => {}
            Err(e) => {
                tracing::error!(queue = queue.name(), error = %e, "receive failed; retrying");
                if pause(stopped, Duration::from_millis(500)).await {
                    return None;
                }
            }
        }
    }
}

async fn delete_all<'a>(queue: &Queue, done: impl Iterator<Item = &'a Message>) {
    let receipts: Vec<&str> = done.map(|m| m.receipt_handle.as_str()).collect();
    if let Err(e) = queue.delete_batch(&receipts).await {
        // They come back after their visibility timeout; the handlers make
        // the redelivery harmless.
        tracing::warn!(queue = queue.name(), messages = receipts.len(), error = %e, "delete failed");
    }
}

/// Processing queue → the process-orders handler, as Lambda's SQS event
/// source mapping does: a batch, then delete all but the reported failures.
async fn processor(
    store: SqliteStore,
    queue: Queue,
    starter: Arc<SagaStarter>,
    visibility: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    while let Some(batch) = next_batch(&queue, visibility, &mut stopped).await {
        let event: SqsEvent = match serde_json::from_value(sqs_event(queue.name(), &batch)) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "could not build the SQS event");
                continue;
            }
        };
        let response = process_orders::handler::handle(&store, &*starter, event).await;
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        delete_all(
            &queue,
            batch
                .iter()
                .filter(|m| !failed.contains(m.message_id.as_str())),
        )
        .await;
    }
}

/// Notifications queue → the notify-customer handler, one SNS event per
/// message as SNS invokes a subscribed function; a failed invocation leaves
/// its message for a retry (and the dead-letter queue after three).
async fn notifier_loop(
    store: SqliteStore,
    queue: Queue,
    notifier: Arc<RecordingNotifier>,
    visibility: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let deps = Deps {
        orders: &store,
        ledger: &store,
        notifier: &*notifier,
    };
    while let Some(batch) = next_batch(&queue, visibility, &mut stopped).await {
        let mut done = Vec::with_capacity(batch.len());
        for m in &batch {
            let event: SnsEvent = match serde_json::from_value(sns_event(queue.name(), m)) {
                Ok(e) => e,
                Err(e) => {
                    tracing::error!(error = %e, "could not build the SNS event");
                    continue;
                }
            };
            if notify_customer::handler::handle(&deps, event).await.is_ok() {
                done.push(m);
            }
        }
        delete_all(&queue, done.into_iter()).await;
    }
}

#[cfg(test)]
mod tests;
