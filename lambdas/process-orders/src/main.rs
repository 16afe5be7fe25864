//! The `process-orders` Lambda function: SQS batches of `OrderCreated`
//! events, answered with the failed message ids (`ReportBatchItemFailures`).
//! The DynamoDB store and the saga starter are built once, at cold start.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use orders_dynamodb::DynamoStore;
use orders_sfn::SfnStarter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env_in_background()?)?;
    let starter = SfnStarter::from_env()?;
    let (store, starter) = (&store, &starter);
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(
            process_orders::handler::handle(store, starter, event.payload).await,
        )
    }))
    .await
}
