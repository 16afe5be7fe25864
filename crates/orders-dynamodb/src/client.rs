//! The DynamoDB client a function builds once at cold start, from the
//! Lambda environment through `orders-aws-runtime` (no `aws-config`;
//! a rustls-on-`ring` HTTP client; see that crate for why).

use aws_sdk_dynamodb::Client;
use orders_aws_runtime::{AwsEnv, Deferred};
use orders_core::error::StoreError;

/// A client for the region, credentials and (optional) endpoint in the
/// environment: `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and
/// `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`).
pub fn client_from_env() -> Result<Client, StoreError> {
    let env = AwsEnv::from_env().map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(client(&env))
}

/// [`client_from_env`], built on a thread of its own: the environment is
/// read here (a function without its variables still fails its init), the
/// client (its config, runtime plugins and endpoint rules, a few hundred
/// microseconds) is built beside the runtime's start, and the store's
/// first call waits for it only if it is not done yet.
pub fn client_from_env_in_background() -> Result<Deferred<Client>, StoreError> {
    let env = AwsEnv::from_env().map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(Deferred::spawn("dynamodb-client", move || client(&env)))
}

/// A client for `env` (tests point it at moto or DynamoDB Local on
/// 127.0.0.1 with [`AwsEnv::with_endpoint`]).
pub fn client(env: &AwsEnv) -> Client {
    Client::new(&env.sdk_config())
}
