//! The order saga, locally: `contracts/workflows/order-saga.asl.json` run
//! by the local ASL executor (`orders-local-sfn`), its Lambda tasks
//! dispatched by function name to the same handlers the functions run, on
//! the embedded store.

use async_trait::async_trait;
use orders_core::payments::SimulatedGateway;
use orders_core::usecases::SagaError;
use orders_local_sfn::{TaskError, TaskInvoker};
use orders_sqlite::SqliteStore;
use serde_json::{json, Value};

/// The saga's definition, as the CDK app deploys it.
pub const SAGA_DEFINITION: &str = include_str!("../../../contracts/workflows/order-saga.asl.json");

/// The name of the local state machine (what `/local/executions` shows).
pub const SAGA_NAME: &str = "order-saga";

/// The `DefinitionSubstitutions` of the local host: each function's name,
/// where the CDK app puts its alias ARN.
pub fn substitutions() -> Vec<(String, String)> {
    [
        ("PaymentsFunctionArn", "payments"),
        ("InventoryFunctionArn", "inventory"),
        ("SettleOrderFunctionArn", "settle-order"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The saga's functions on the embedded store.
pub struct LocalFunctions {
    store: SqliteStore,
    gateway: SimulatedGateway<SqliteStore>,
}

impl LocalFunctions {
    pub fn new(store: SqliteStore) -> Self {
        Self {
            gateway: SimulatedGateway::new(store.clone()),
            store,
        }
    }
}

/// A handler's error as Lambda reports it to Step Functions: the error name
/// is the function's `errorType`, the cause its error document.
fn task_error(e: SagaError) -> TaskError {
    let error = e.error_name().to_string();
    let cause = json!({ "errorType": error, "errorMessage": e.to_string() }).to_string();
    TaskError { error, cause }
}

#[async_trait]
impl TaskInvoker for LocalFunctions {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskError> {
        let store = &self.store;
        let result = match function {
            "payments" => {
                let deps = payments::handler::Deps {
                    orders: store,
                    ledger: store,
                    gateway: &self.gateway,
                };
                payments::handler::handle(&deps, payload).await
            }
            "inventory" => inventory::handler::handle(store, store, payload).await,
            "settle-order" => settle_order::handler::handle(store, payload).await,
            other => {
                return Err(TaskError {
                    error: "Lambda.ResourceNotFoundException".into(),
                    cause: format!("Function not found: {other}"),
                })
            }
        };
        result.map_err(task_error)
    }
}
