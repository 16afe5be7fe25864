//! The `settle-order` Lambda function, invoked by the order saga. The
//! DynamoDB store is built once, at cold start.

use lambda_runtime::{run, service_fn, Diagnostic, Error, LambdaEvent};
use orders_dynamodb::DynamoStore;
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env_in_background()?)?;
    let store = &store;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        settle_order::handler::handle(store, event.payload)
            .await
            .map_err(|e| Diagnostic {
                error_type: e.error_name().into(),
                error_message: e.to_string(),
            })
    }))
    .await
}
