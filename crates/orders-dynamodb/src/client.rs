//! The DynamoDB client a function builds once at cold start, from the
//! Lambda environment through `orders-aws-runtime` (no `aws-config`;
//! a rustls-on-`ring` HTTP client; see that crate for why).

use aws_sdk_dynamodb::config::retry::RetryConfig;
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
///
/// Called inside a tokio runtime (a function's `main`), it also starts
/// [`open_connection`] on that runtime as soon as the client is built.
pub fn client_from_env_in_background() -> Result<Deferred<Client>, StoreError> {
    let env = AwsEnv::from_env().map_err(|e| StoreError::Other(e.to_string()))?;
    let runtime = tokio::runtime::Handle::try_current().ok();
    Ok(Deferred::spawn("dynamodb-client", move || {
        let client = client(&env);
        if let Some(runtime) = runtime {
            runtime.spawn(open_connection(client.clone()));
        }
        client
    }))
}

/// Opens the connection the function's first DynamoDB call will use, before
/// that call: at a cold start the TCP connect and the TLS handshake (and
/// the SDK's first pass through its own machinery: endpoint rules,
/// credentials, signing) then happen beside the init rather than inside
/// the first request. On Lambda, where the init phase runs at full CPU and
/// the first request at the function's share, that is most of what its
/// first call costs over its later ones.
///
/// What it sends is `GET /` to the endpoint the client's own rules resolve
/// (so the connection lands in the pool its calls check out from): the
/// request DynamoDB answers as a health check (`healthy: dynamodb...`). No
/// operation reaches DynamoDB, so it needs no permission and is not billed;
/// the request is shaped from a `ListTables` call by the SDK's own
/// request hook before it is signed. Whatever comes back is dropped,
/// retries are off (a failure costs the first call nothing but the
/// connection it would have opened anyway), and the connection is reused
/// only if the server keeps it open. Returns whether a response came back.
pub async fn open_connection(client: Client) -> bool {
    let result = client
        .list_tables()
        .customize()
        .config_override(aws_sdk_dynamodb::Config::builder().retry_config(RetryConfig::disabled()))
        .mutate_request(|request| {
            let _ = request.set_method("GET");
            let _ = request.set_uri(health_check_uri(request.uri()));
            for header in ["x-amz-target", "content-type", "content-length"] {
                request.headers_mut().remove(header);
            }
            drop(request.take_body());
        })
        .send()
        .await;
    // The "healthy" text is not a ListTables answer: a response of any
    // kind is a parse or service error here, no response a dispatch error.
    let answered = !matches!(
        &result,
        Err(aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)
            | aws_sdk_dynamodb::error::SdkError::TimeoutError(_)
            | aws_sdk_dynamodb::error::SdkError::ConstructionFailure(_))
    );
    tracing::debug!(
        answered,
        "dynamodb connection opened ahead of the first call"
    );
    answered
}

/// `scheme://authority/` of a request's URI: DynamoDB's health check path.
fn health_check_uri(uri: &str) -> String {
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let end = uri[after_scheme..]
        .find('/')
        .map_or(uri.len(), |i| after_scheme + i);
    format!("{}/", &uri[..end])
}

/// A client for `env` (tests point it at moto or DynamoDB Local on
/// 127.0.0.1 with [`AwsEnv::with_endpoint`]).
pub fn client(env: &AwsEnv) -> Client {
    Client::new(&env.sdk_config())
}
