//! The DynamoDB client a function builds once at cold start.
//!
//! Built straight from the Lambda environment rather than through
//! `aws-config`: a function needs only the region, the execution role's
//! credentials (which Lambda puts in the environment for the sandbox's whole
//! life) and, in tests and benchmarks, an endpoint override. Leaving out
//! `aws-config` (and the STS, SSO and profile machinery it links) and using
//! rustls on `ring` instead of `aws-lc` keeps the arm64 bundle small and the
//! cold start short; see docs/benchmarks.md.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use orders_core::error::StoreError;

/// Reads one environment variable, treating empty as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A client for the region, credentials and (optional) endpoint in the
/// environment: `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, and
/// `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`).
pub fn client_from_env() -> Result<Client, StoreError> {
    let missing = |name: &str| StoreError::Other(format!("{name} is not set"));
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .ok_or_else(|| missing("AWS_REGION"))?;
    let access_key = env("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?;
    let secret_key =
        env("AWS_SECRET_ACCESS_KEY").ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?;
    let credentials = Credentials::new(
        access_key,
        secret_key,
        env("AWS_SESSION_TOKEN"),
        None,
        "lambda-environment",
    );
    Ok(build_client(
        region,
        credentials,
        env("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| env("AWS_ENDPOINT_URL")),
    ))
}

/// A client with the project's HTTP stack (rustls on `ring`), for the given
/// region, credentials and optional endpoint (tests point it at moto or
/// DynamoDB Local on 127.0.0.1).
pub fn build_client(region: String, credentials: Credentials, endpoint: Option<String>) -> Client {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region))
        .credentials_provider(credentials)
        .http_client(http_client);
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}
