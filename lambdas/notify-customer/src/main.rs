//! The `notify-customer` Lambda function, subscribed to the notifications
//! topic. A failed record fails the invocation, so Lambda's asynchronous
//! retries (then the function's dead-letter queue) take it; the ledger keeps
//! a retry from sending twice. A refusal for good (SES `MessageRejected`, an
//! invalid phone number) is no failure: the ledger records it instead. Clients are built and the templates compiled
//! once, at cold start.

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use notify_customer::handler::{self, Deps};
use orders_aws_messaging::AwsNotifier;
use orders_dynamodb::DynamoStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let store = DynamoStore::from_env(orders_dynamodb::client_from_env_in_background()?)?;
    let notifier = AwsNotifier::from_env()?;
    orders_notifications::warm_up();
    let deps = Deps {
        orders: &store,
        ledger: &store,
        notifier: &notifier,
    };
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<SnsEvent>| async move {
        handler::handle(deps, event.payload)
            .await
            .map(|_| ())
            .map_err(Error::from)
    }))
    .await
}
