//! The AWS plumbing every adapter shares, written once:
//!
//! - [`AwsEnv`]: region, credentials and endpoint overrides read from the
//!   Lambda environment (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...,
//!   `AWS_ENDPOINT_URL_<SERVICE>` then `AWS_ENDPOINT_URL`);
//! - [`http_client`]: an HTTP client, rustls on `ring`, one per SDK config
//!   (a connection pool belongs to the runtime it first ran on), its TLS
//!   set-up made on its first request;
//! - [`AwsEnv::sdk_config`]: an [`aws_types::SdkConfig`] from those, which
//!   every `aws-sdk-*` crate turns into its own client with
//!   `Client::new(&sdk_config)`; each service picks its own endpoint
//!   override from it by its service id, so a new SDK (Step Functions:
//!   `aws_sdk_sfn::Client::new(&env.sdk_config())`, override
//!   `AWS_ENDPOINT_URL_SFN`) needs nothing added here;
//! - [`classify`]: one reading of an SDK error as an [`SdkFailure`]
//!   (operation, code, detail, retryable or not) that each adapter maps to
//!   its own error type.
//!
//! # Why not `aws-config`
//!
//! A function needs the region, the execution role's credentials (Lambda
//! puts them in the environment for the sandbox's whole life) and, in tests
//! and benchmarks, an endpoint override. `aws-config` would add the STS, SSO,
//! IMDS and profile-file machinery for none of that, and its default HTTP
//! client brings `aws-lc`. Everything this crate uses is already linked by
//! any `aws-sdk-*` crate (aws-types, aws-credential-types, the smithy
//! runtime), so it adds nothing to a function's binary; see
//! docs/benchmarks.md for the sizes and cold starts.

mod deferred;
mod env;
mod failure;
mod http;

pub use deferred::Deferred;
pub use env::{
    var, AwsEnv, MissingEnv, ATTEMPT_TIMEOUT, CREDENTIALS_PROVIDER_NAME, OPERATION_TIMEOUT,
};
pub use failure::{classify, SdkFailure, RETRYABLE_CODES};
pub use http::http_client;

/// Re-exported so adapters name the SDKs' shared config and error types
/// through this crate.
pub use aws_smithy_runtime_api::client::result::SdkError;
pub use aws_types::SdkConfig;
