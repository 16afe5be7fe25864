//! The `cancel-order` Lambda function: the DynamoDB store is built once, at
//! cold start. The CANCELLED event comes from the table's stream.

use cancel_order::handler;
use lambda_http::{run, service_fn, Error, Request};
use orders_dynamodb::DynamoStore;
use orders_http::Built;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env_in_background()?)?;
    let store = &store;
    run(service_fn(move |event: Request| async move {
        handler::handle(store, event).await.map(Built)
    }))
    .await
}
