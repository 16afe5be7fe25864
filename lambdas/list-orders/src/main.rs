//! The `list-orders` Lambda function: clients are built once, at cold start.

use lambda_http::{run, service_fn, Error, Request};
use list_orders::handler;
use orders_dynamodb::DynamoStore;
use orders_http::Built;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let client = orders_dynamodb::client_from_env_in_background()?;
    let store = DynamoStore::from_env(client)?;
    let store = &store;
    run(service_fn(move |event: Request| async move {
        handler::handle(store, event).await.map(Built)
    }))
    .await
}
