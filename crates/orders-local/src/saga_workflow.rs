//! The order saga on the local executor: its definition (the repository's
//! `contracts/workflows/order-saga.asl.json`, built into the binary and
//! parsed at start-up) with the local host's substitutions, and
//! [`SagaStarter`], the local [`WorkflowStarter`] (which can also start a
//! duplicate execution of an order, as Express workflows may).

use async_trait::async_trait;
use orders_core::ports::{StartOutcome, WorkflowStarter};
use orders_core::usecases::saga::saga_input;
use orders_core::DeliveryError;
use orders_local_sfn::faults::{fires, kinds};
use orders_local_sfn::{Definition, DefinitionError, Executor};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The state machine's name on the local host.
pub const SAGA_STATE_MACHINE: &str = "order-saga";

/// The saga's ASL, as the CDK app deploys it.
pub const SAGA_ASL: &str = include_str!("../../../contracts/workflows/order-saga.asl.json");

/// The functions the saga's tasks name on the local host, which the host's
/// [`orders_local_sfn::TaskInvoker`] dispatches on.
pub const PAYMENTS_FUNCTION: &str = "payments";
pub const INVENTORY_FUNCTION: &str = "inventory";
pub const SETTLE_ORDER_FUNCTION: &str = "settle-order";

/// `DefinitionSubstitutions` of the local host: plain function names
/// where the CDK app puts ARNs, each saga function of
/// contracts/functions.json under its substitution key.
pub fn local_substitutions() -> BTreeMap<String, String> {
    use orders_core::contract::{functions_contract, TriggerKind};
    functions_contract()
        .triggered_by(TriggerKind::Saga)
        .filter_map(|f| Some((f.trigger.substitution.clone()?, f.name.clone())))
        .collect()
}

/// The saga's definition with the local substitutions; an error names the
/// state and field the executor does not support.
pub fn saga_definition() -> Result<Definition, DefinitionError> {
    Definition::parse(SAGA_STATE_MACHINE, SAGA_ASL, &local_substitutions())
}

/// What a duplicate execution's name adds to the order id: executions are
/// unique per name, so the duplicate needs its own to run at all.
pub const DUPLICATE_SUFFIX: &str = "~dup";

/// The name of the duplicate execution of `order_id`'s saga:
/// `<orderId>~dup`.
pub fn duplicate_name(order_id: Uuid) -> String {
    format!("{order_id}{DUPLICATE_SUFFIX}")
}

/// Starts the order's saga on the local executor: the execution is named
/// after the order id and its input is [`saga_input`].
///
/// With [`SagaStarter::with_duplicates`] it also starts, for some orders,
/// a second execution with the same input ([`duplicate_name`]) that runs
/// concurrently with the first: Express workflows' at-least-once start,
/// which the saga's tasks must survive.
#[derive(Debug, Clone)]
pub struct SagaStarter {
    executor: Executor,
    duplicates: Option<Duplicates>,
}

#[derive(Debug, Clone, Copy)]
struct Duplicates {
    probability: f64,
    seed: u64,
}

impl SagaStarter {
    pub fn new(executor: Executor) -> Self {
        Self {
            executor,
            duplicates: None,
        }
    }

    /// Also starts a duplicate execution for an order with probability
    /// `probability`, decided by (`seed`, order id) alone, so a seed
    /// duplicates the same orders on every run.
    pub fn with_duplicates(executor: Executor, probability: f64, seed: u64) -> Self {
        Self {
            executor,
            duplicates: Some(Duplicates { probability, seed }),
        }
    }

    fn duplicates(&self, order_id: Uuid) -> bool {
        self.duplicates.is_some_and(|d| {
            fires(
                d.probability,
                d.seed,
                kinds::DUPLICATE_START,
                &[order_id.as_bytes()],
            )
        })
    }
}

#[async_trait]
impl WorkflowStarter for SagaStarter {
    async fn start_saga(&self, order_id: Uuid) -> Result<StartOutcome, DeliveryError> {
        let outcome = self
            .executor
            .start(&order_id.to_string(), saga_input(order_id))
            .await
            .map_err(|e| {
                tracing::warn!(order_id = %order_id, error = %e, "saga not started");
                DeliveryError::Unavailable(e.to_string())
            })?;
        // After the primary, so a failed start (which the caller retries)
        // never leaves a duplicate running alone. A redelivered start finds
        // the duplicate's name taken, as it finds the primary's.
        if self.duplicates(order_id) {
            let name = duplicate_name(order_id);
            match self.executor.start(&name, saga_input(order_id)).await {
                Ok(dup) => {
                    tracing::warn!(order_id = %order_id, execution = %name, outcome = ?dup, "injected duplicate saga execution")
                }
                // The fault is the duplicate itself; the order goes on with
                // its primary execution either way.
                Err(e) => {
                    tracing::warn!(order_id = %order_id, execution = %name, error = %e, "injected duplicate saga execution not started")
                }
            }
        }
        Ok(outcome)
    }
}
