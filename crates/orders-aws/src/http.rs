//! The process's HTTP client.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::sync::OnceLock;

/// The process's HTTP client: rustls on `ring` (not `aws-lc`: smaller
/// arm64 binary, no C toolchain), built on first use. Every SDK client of
/// the process shares it: one certificate store, one TLS set-up, one
/// connection pool per endpoint, at cold start.
pub fn http_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build_https()
        })
        .clone()
}
