//! Maps the state machine's payload (`{"action": "charge" | "refund",
//! "orderId": ...}`) to the payment steps and their JSON result. An error's
//! name ([`SagaError::error_name`]) is what the workflow's Retry and Catch
//! match: `TransientError` is retried.

use chrono::Utc;
use orders_core::ports::{PaymentGateway, PaymentLedger};
use orders_core::usecases::saga::{parse_task, run_payment_task, PaymentDeps, PaymentTask};
use orders_core::usecases::SagaError;
use orders_core::{OrderReader, SagaFence};
use serde_json::Value;

/// What the function uses: the orders (to read the total, and the fence a
/// refund begins), the payment records, and the provider.
pub struct Deps<'a> {
    pub orders: &'a (dyn OrderReader + 'a),
    pub fence: &'a (dyn SagaFence + 'a),
    pub ledger: &'a (dyn PaymentLedger + 'a),
    pub gateway: &'a (dyn PaymentGateway + 'a),
}

/// One saga step.
pub async fn handle(deps: &Deps<'_>, payload: Value) -> Result<Value, SagaError> {
    let task: PaymentTask = parse_task(payload)?;
    let deps = PaymentDeps {
        orders: deps.orders,
        fence: deps.fence,
        ledger: deps.ledger,
        gateway: deps.gateway,
    };
    run_payment_task(&deps, task, Utc::now()).await
}
