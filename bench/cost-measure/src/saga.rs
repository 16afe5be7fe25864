//! The saga for the measurement: the local ASL executor with the saga's
//! definition, its tasks run by the functions' handlers on the counted
//! DynamoDB store, each invocation metered.

use crate::meter::Meter;
use async_trait::async_trait;
use orders_core::notification::{Channel, Notification};
use orders_core::ports::Notifier;
use orders_core::DeliveryError;
use orders_dynamodb::DynamoStore;
use orders_local::saga_workflow::saga_definition;
use orders_local_sfn::{ExecutionStatus, Executor, ExecutorOptions, TaskError, TaskInvoker};
use orders_payment_simulator::SimulatedGateway;
use orders_sqlite::SqliteStore;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;

/// Stands in for SES and SNS SMS (not DynamoDB, priced per message apart):
/// answers with the channels the notification has addresses for.
pub struct Delivered;

#[async_trait]
impl Notifier for Delivered {
    async fn send(&self, n: &Notification) -> Result<Vec<Channel>, DeliveryError> {
        let mut channels = Vec::new();
        if n.email.is_some() {
            channels.push(Channel::Email);
        }
        if n.sms.is_some() {
            channels.push(Channel::Sms);
        }
        Ok(channels)
    }
}

struct Functions {
    store: DynamoStore,
    gateway: SimulatedGateway<DynamoStore>,
    meter: Arc<Meter>,
}

#[async_trait]
impl TaskInvoker for Functions {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskError> {
        let (store, m) = (&self.store, &self.meter);
        let result = match function {
            "payments" => {
                let deps = payments::handler::Deps {
                    orders: store,
                    fence: store,
                    ledger: store,
                    gateway: &self.gateway,
                };
                m.invoke("payments", payments::handler::handle(&deps, payload))
                    .await
            }
            "inventory" => {
                m.invoke(
                    "inventory",
                    inventory::handler::handle(store, store, payload),
                )
                .await
            }
            "settle-order" => {
                m.invoke(
                    "settle-order",
                    settle_order::handler::handle(store, payload),
                )
                .await
            }
            other => panic!("the saga called an unknown function {other}"),
        };
        result.map_err(|e| TaskError::of_lambda(e.error_name(), &e.to_string()))
    }
}

pub struct Context {
    pub store: DynamoStore,
    pub direct: DynamoStore,
    pub meter: Arc<Meter>,
    pub executor: Executor,
    stop: watch::Sender<bool>,
    runner: tokio::task::JoinHandle<()>,
}

impl Context {
    /// `store` goes through the proxy (counted), `direct` does not.
    pub fn new(store: DynamoStore, direct: DynamoStore, meter: Arc<Meter>) -> Self {
        let functions = Functions {
            gateway: SimulatedGateway::new(store.clone()),
            store: store.clone(),
            meter: meter.clone(),
        };
        let executor = Executor::new(
            SqliteStore::in_memory_with(&[orders_local_sfn::MIGRATION])
                .expect("the executor's store"),
            saga_definition().expect("the saga's definition"),
            Arc::new(functions),
            ExecutorOptions {
                concurrency: 1,
                wait_scale: 0.001,
            },
        );
        let (stop, rx) = watch::channel(false);
        let run = executor.clone();
        let runner = tokio::spawn(async move {
            run.run(rx).await.expect("the executor runs");
        });
        Self {
            store,
            direct,
            meter,
            executor,
            stop,
            runner,
        }
    }

    /// Waits for execution `name` to end; its transitions and history.
    pub async fn finish(&self, name: &str) -> Value {
        loop {
            while self.meter.busy() {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let detail = self
                .executor
                .get(name)
                .await
                .expect("executor")
                .expect("the execution");
            if detail.execution.status != ExecutionStatus::Running {
                let count = |t: &str| {
                    detail
                        .history
                        .iter()
                        .filter(|e| e.event_type.as_str() == t)
                        .count()
                };
                let history_bytes: usize = detail
                    .history
                    .iter()
                    .map(|e| serde_json::to_string(e).map(|s| s.len()).unwrap_or(0))
                    .sum();
                return json!({
                    "execution_status": detail.execution.status.as_str(),
                    "states_entered": count("StateEntered"),
                    "retries": count("RetryScheduled"),
                    "tasks": count("TaskScheduled"),
                    "history_events": detail.history.len(),
                    "history_bytes": history_bytes,
                    "visited": detail.visited_states(),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.runner.await;
    }
}
