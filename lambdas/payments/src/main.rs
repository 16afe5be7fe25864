//! The `payments` Lambda function, invoked by the order saga. The DynamoDB
//! store and the simulated provider (its attempt counter is the store) are
//! built once, at cold start.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use orders_dynamodb::DynamoStore;
use orders_payment_simulator::SimulatedGateway;
use payments::handler::{self, Deps};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env_in_background()?)?;
    let gateway = SimulatedGateway::new(store.clone());
    let deps = Deps {
        orders: &store,
        fence: &store,
        ledger: &store,
        gateway: &gateway,
    };
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler::handle(deps, event.payload)
            .await
            .map_err(|e| Diagnostic {
                error_type: e.error_name().into(),
                error_message: e.to_string(),
            })
    }))
    .await
}
