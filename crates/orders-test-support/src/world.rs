//! The handler tests' world: what the functions are given on AWS, stood in
//! for by the embedded store.

use crate::orders::base_time;
use chrono::{DateTime, Duration, Utc};
use orders_core::events::{OrderEvent, OrderStatusChanged};
use orders_core::model::OrderStatus;
use orders_core::usecases::CreateResponse;
use orders_core::OrderReader;
use orders_local::saga_workflow::{saga_definition, SagaStarter};
use orders_local_aws::notifier::{list_sent_notifications, RecordingNotifier, SentNotification};
use orders_local_sfn::{Executor, ExecutorOptions, ListFilter, TaskError, TaskInvoker};
use orders_sqlite::SqliteStore;
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// An in-memory store (orders, outbox, ledger), the saga's starter on the
/// local executor (executions are recorded; handler tests do not run them),
/// a notifier that records what it sends, and a clock that starts at
/// [`base_time`] and moves a millisecond per order.
pub struct World {
    pub store: SqliteStore,
    pub starter: SagaStarter,
    executor: Executor,
    pub notifier: RecordingNotifier,
    ticks: AtomicI64,
}

/// The tasks of the World's executor: the handler tests start sagas but
/// never run them (the saga's own tests do, in orders-local-sfn and e2e).
struct NotRunHere;

#[async_trait::async_trait]
impl TaskInvoker for NotRunHere {
    async fn invoke(&self, function: &str, _payload: Value) -> Result<Value, TaskError> {
        Err(TaskError::new(
            "NotRunHere",
            format!("handler tests do not run the saga ({function})"),
        ))
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> Self {
        let store = SqliteStore::in_memory_with(&orders_local::STAND_IN_TABLES)
            .expect("an in-memory store");
        let executor = Executor::new(
            store.clone(),
            saga_definition().expect("the saga's definition"),
            Arc::new(NotRunHere),
            ExecutorOptions::default(),
        );
        Self {
            starter: SagaStarter::new(executor.clone()),
            executor,
            notifier: RecordingNotifier::new(store.clone()),
            store,
            ticks: AtomicI64::new(0),
        }
    }

    /// The next instant of the world's clock: [`base_time`], then a
    /// millisecond later on every call.
    pub fn now(&self) -> DateTime<Utc> {
        base_time() + Duration::milliseconds(self.ticks.fetch_add(1, Ordering::Relaxed))
    }

    /// Creates an order from a request body through the use case, at
    /// [`now`](Self::now).
    pub async fn create(&self, body: &str) -> CreateResponse {
        orders_validation::create_order(&self.store, body.as_bytes(), None, self.now())
            .await
            .unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    /// The order's `OrderCreated`, as its outbox row holds it.
    pub async fn created_event(&self, id: Uuid) -> String {
        let outbox = self.store.outbox_pending(10_000).await.expect("the outbox");
        outbox
            .into_iter()
            .find(|e| e.order_id == id.to_string())
            .expect("the order's event is in the outbox")
            .body
    }

    pub async fn status(&self, id: Uuid) -> OrderStatus {
        self.store
            .get_order(id)
            .await
            .expect("a read")
            .expect("the order")
            .status
    }

    /// Every status change's event so far, oldest first: the outbox rows
    /// the moves wrote in their transactions (the local stand-in for the
    /// table's stream).
    pub async fn status_events(&self) -> Vec<OrderStatusChanged> {
        self.store
            .outbox_pending(100_000)
            .await
            .expect("the outbox")
            .into_iter()
            .filter_map(|row| {
                match orders_validation::events::parse_event(&row.body).expect("a valid event") {
                    OrderEvent::OrderStatusChanged(e) => Some(e),
                    OrderEvent::OrderCreated(_) => None,
                }
            })
            .collect()
    }

    /// The orders whose saga was started, in start order (one execution
    /// per order, however often it was started).
    pub async fn sagas_started(&self) -> Vec<Uuid> {
        let mut started: Vec<_> = self
            .executor
            .list(ListFilter {
                status: None,
                limit: 100_000,
            })
            .await
            .expect("the executions")
            .into_iter()
            .map(|e| {
                (
                    e.started_at,
                    e.name.parse::<Uuid>().expect("named after the order"),
                )
            })
            .collect();
        started.sort();
        started.into_iter().map(|(_, id)| id).collect()
    }

    /// What the notifier sent about the order.
    pub async fn sent(&self, id: Uuid) -> Vec<SentNotification> {
        list_sent_notifications(&self.store, Some(id), 100)
            .await
            .expect("the sent notifications")
    }
}
