//! The order saga on the local executor: its definition (the repository's
//! `contracts/workflows/order-saga.asl.json`, built into the binary and
//! parsed at start-up) with the local host's substitutions, and
//! [`SagaStarter`], the local [`WorkflowStarter`].

use crate::definition::Definition;
use crate::error::DefinitionError;
use crate::executor::Executor;
use async_trait::async_trait;
use orders_core::ports::{StartOutcome, WorkflowStarter};
use orders_core::usecases::saga::saga_input;
use orders_core::DeliveryError;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The state machine's name on the local host.
pub const SAGA_STATE_MACHINE: &str = "order-saga";

/// The saga's ASL, as the CDK app deploys it.
pub const SAGA_ASL: &str = include_str!("../../../contracts/workflows/order-saga.asl.json");

/// The functions the saga's tasks name on the local host, which the host's
/// [`crate::TaskInvoker`] dispatches on.
pub const PAYMENTS_FUNCTION: &str = "payments";
pub const INVENTORY_FUNCTION: &str = "inventory";
pub const SETTLE_ORDER_FUNCTION: &str = "settle-order";

/// `DefinitionSubstitutions` of the local host: plain function names
/// where the CDK app puts ARNs.
pub fn local_substitutions() -> BTreeMap<String, String> {
    [
        ("PaymentsFunctionArn", PAYMENTS_FUNCTION),
        ("InventoryFunctionArn", INVENTORY_FUNCTION),
        ("SettleOrderFunctionArn", SETTLE_ORDER_FUNCTION),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The saga's definition with the local substitutions; an error names the
/// state and field the executor does not support.
pub fn saga_definition() -> Result<Definition, DefinitionError> {
    Definition::parse(SAGA_STATE_MACHINE, SAGA_ASL, &local_substitutions())
}

/// Starts the order's saga on the local executor: the execution is named
/// after the order id and its input is [`saga_input`].
#[derive(Debug, Clone)]
pub struct SagaStarter {
    executor: Executor,
}

impl SagaStarter {
    pub fn new(executor: Executor) -> Self {
        Self { executor }
    }
}

#[async_trait]
impl WorkflowStarter for SagaStarter {
    async fn start_saga(&self, order_id: Uuid) -> Result<StartOutcome, DeliveryError> {
        self.executor
            .start(&order_id.to_string(), saga_input(order_id))
            .await
            .map_err(|e| {
                tracing::warn!(order_id = %order_id, error = %e, "saga not started");
                DeliveryError::Unavailable(e.to_string())
            })
    }
}
