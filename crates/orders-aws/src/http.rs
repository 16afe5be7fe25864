//! The HTTP client the SDK clients use.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// A new HTTP client: rustls on `ring` (not `aws-lc`: smaller arm64 binary,
/// no C toolchain). Its connector, certificate store and TLS set-up are
/// built on its first request, so making one costs nothing at cold start.
///
/// One per [`crate::AwsEnv::sdk_config`], not one per process: a hyper
/// connection pool belongs to the tokio runtime it first ran on, and a
/// process-wide client fails ("dispatch task is gone") in any process that
/// runs more than one runtime, as `cargo test` does with one runtime per
/// test. A function builds its clients once, in `main`, so it still makes
/// one client per service it talks to, at cold start.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
