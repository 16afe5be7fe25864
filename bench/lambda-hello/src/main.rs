//! The floor of the cold-start comparison: the smallest Rust function
//! `lambda_runtime` runs (no SDK client, no logs set-up, no schema), built
//! with the same release profile as the Orders functions. Whatever our
//! functions spend at init above this is theirs.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(json!({"hello": "world", "requestId": event.context.request_id}))
    }))
    .await
}
