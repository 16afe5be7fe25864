//! The `cancel-order` Lambda function: the DynamoDB store and the SNS
//! publisher are built once, at cold start.

use cancel_order::handler;
use lambda_http::{run, service_fn, Error, Request};
use orders_dynamodb::DynamoStore;
use orders_messaging::SnsPublisher;

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env()?)?;
    let publisher = SnsPublisher::from_env()?;
    let (store, publisher) = (&store, &publisher);
    run(service_fn(move |event: Request| async move {
        handler::handle(store, publisher, event).await
    }))
    .await
}
