//! The `get-order` Lambda function: clients are built once, at cold start.

use get_order::handler;
use lambda_http::{Error, Request};
use orders_dynamodb::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let client = orders_dynamodb::client_from_env_in_background()?;
    let store = DynamoStore::from_env(client)?;
    let store = &store;
    orders_http::run(move |event: Request| handler::handle(store, event)).await
}
