//! The `list-orders` Lambda function: clients are built once, at cold start.

use lambda_http::{run, service_fn, Error, Request};
use list_orders::handler;
use orders_core::pagination::PageTokens;
use orders_dynamodb::DynamoStore;

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders_telemetry::init();
    let table = std::env::var("ORDERS_TABLE_NAME")
        .map_err(|_| "ORDERS_TABLE_NAME must name the orders table")?;
    let client = orders_dynamodb::client_from_env()?;
    let store = DynamoStore::new(client, table.clone());
    // Tokens are signed with the table name, so a token from another stage is foreign.
    let tokens = PageTokens::new(&table);
    let (store, tokens) = (&store, &tokens);
    run(service_fn(move |event: Request| async move {
        handler::handle(store, tokens, event).await
    }))
    .await
}
