//! The order saga, locally: `contracts/workflows/order-saga.asl.json` run
//! by the local ASL executor (`orders-local-sfn`), its Lambda tasks
//! dispatched by function name to the same handlers the functions run, on
//! the embedded store.

use crate::pipeline::Faults;
use crate::saga_workflow::saga_definition;
use async_trait::async_trait;
use orders_local_sfn::{Executor, ExecutorOptions, FaultyInvoker, TaskError, TaskInvoker};
use orders_payment_simulator::SimulatedGateway;
use orders_sqlite::SqliteStore;
use serde_json::Value;
use std::sync::Arc;

/// The saga's executor on `store`, its tasks run by [`LocalFunctions`]. The
/// definition is `contracts/workflows/order-saga.asl.json` with the local
/// function names; a file the executor cannot run fails here, at start-up,
/// naming the state and field.
pub fn saga_executor(store: &SqliteStore, options: ExecutorOptions) -> Result<Executor, String> {
    saga_executor_with_faults(store, options, &Faults::default())
}

/// [`saga_executor`] with `faults.saga` injected around the functions
/// (decided from `faults.seed`); without task faults the functions are
/// called directly, exactly as [`saga_executor`] does.
pub fn saga_executor_with_faults(
    store: &SqliteStore,
    options: ExecutorOptions,
    faults: &Faults,
) -> Result<Executor, String> {
    let definition = saga_definition().map_err(|e| format!("order-saga.asl.json: {e}"))?;
    let functions = Arc::new(LocalFunctions::new(store.clone()));
    let invoker: Arc<dyn TaskInvoker> = if faults.saga.is_empty() {
        functions
    } else {
        Arc::new(FaultyInvoker::new(
            functions,
            faults.saga.clone(),
            faults.seed,
        ))
    };
    Ok(Executor::new(store.clone(), definition, invoker, options))
}

/// The saga's task functions, by their names in contracts/functions.json
/// (the names the local substitutions put into the ASL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SagaFunction {
    Payments,
    Inventory,
    SettleOrder,
}

impl SagaFunction {
    const ALL: [Self; 3] = [Self::Payments, Self::Inventory, Self::SettleOrder];

    fn name(self) -> &'static str {
        match self {
            Self::Payments => "payments",
            Self::Inventory => "inventory",
            Self::SettleOrder => "settle-order",
        }
    }

    fn of(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
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

#[async_trait]
impl TaskInvoker for LocalFunctions {
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskError> {
        let store = &self.store;
        let Some(function) = SagaFunction::of(function) else {
            return Err(TaskError {
                error: "Lambda.ResourceNotFoundException".into(),
                cause: format!("Function not found: {function}"),
            });
        };
        let result = match function {
            SagaFunction::Payments => {
                let deps = payments::handler::Deps {
                    orders: store,
                    fence: store,
                    ledger: store,
                    gateway: &self.gateway,
                };
                payments::handler::handle(&deps, payload).await
            }
            SagaFunction::Inventory => inventory::handler::handle(store, store, payload).await,
            SagaFunction::SettleOrder => settle_order::handler::handle(store, payload).await,
        };
        result.map_err(|e| TaskError::of_lambda(e.error_name(), &e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::contract::{functions_contract, TriggerKind};
    use std::collections::BTreeSet;

    /// The host runs exactly the saga functions of contracts/functions.json,
    /// under the names the local substitutions give the ASL's tasks.
    #[test]
    fn dispatch_covers_every_saga_function_of_the_contract() {
        let contract: BTreeSet<&str> = functions_contract()
            .triggered_by(TriggerKind::Saga)
            .map(|f| f.name.as_str())
            .collect();
        let dispatched: BTreeSet<&str> = SagaFunction::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(dispatched, contract);
        let substituted: BTreeSet<String> = crate::saga_workflow::local_substitutions()
            .into_values()
            .collect();
        assert_eq!(
            substituted,
            contract
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<_>>()
        );
    }
}
