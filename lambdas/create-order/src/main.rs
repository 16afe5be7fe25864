//! The `create-order` Lambda function: clients are built once, at cold start;
//! the request schema and the DynamoDB client are built beside the init,
//! not inside it, starting first so that both are done before the first
//! event is.

use create_order::handler;
use lambda_http::{run, service_fn, Error, Request};
use orders_dynamodb::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders_validation::warm_up_in_background();
    let client = orders_dynamodb::client_from_env_in_background()?;
    orders_telemetry::init();
    let store = DynamoStore::from_env(client)?;
    let store = &store;
    run(service_fn(move |event: Request| async move {
        handler::handle(store, event).await
    }))
    .await
}
