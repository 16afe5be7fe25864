//! The `create-order` Lambda function: clients are built once, at cold start
//! (the DynamoDB client beside the init, not inside it); the request
//! schema's validator is generated at build time (`orders-validation`).

use create_order::handler;
use lambda_http::{run, service_fn, Error, Request};
use orders_dynamodb::DynamoStore;
use orders_http::Built;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = orders_dynamodb::client_from_env_in_background()?;
    orders_telemetry::init();
    let store = DynamoStore::from_env(client)?;
    let store = &store;
    run(service_fn(move |event: Request| async move {
        handler::handle(store, event).await.map(Built)
    }))
    .await
}
