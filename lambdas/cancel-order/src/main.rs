//! The `cancel-order` Lambda function: the DynamoDB store is built once, at
//! cold start. The CANCELLED event comes from the table's stream.

use cancel_order::handler;
use lambda_http::{Error, Request};
use orders_dynamodb::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env_in_background()?)?;
    let store = &store;
    orders_http::run(move |event: Request| handler::handle(store, event)).await
}
