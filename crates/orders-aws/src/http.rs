//! The HTTP client the SDK clients use.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

/// A new HTTP client: rustls on `ring` (not `aws-lc`: smaller arm64 binary,
/// no C toolchain), whose connector, certificate store and TLS set-up are
/// built on its first request ([`Lazy`]), not when an SDK client is made.
///
/// One per [`crate::AwsEnv::sdk_config`], not one per process: a hyper
/// connection pool belongs to the tokio runtime it first ran on, and a
/// process-wide client fails ("dispatch task is gone") in any process that
/// runs more than one runtime, as `cargo test` does with one runtime per
/// test. A function builds its clients once, in `main`, so it still makes
/// one client per service it talks to, at cold start.
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(Lazy(
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https(),
    ))
}

/// An HTTP client that does not build a connector when an SDK client is
/// made from it.
///
/// The hyper client of `aws-smithy-http-client` builds a throw-away
/// connector in `validate_base_client_config` (called by every
/// `Client::new`) "so that native certs load at client initialization
/// time": it parses every system root certificate into a rustls store and
/// sets up TLS, about 3 ms per SDK client at a cold start (create-order's
/// profile, docs/benchmarks.md), and the first request builds its own
/// connector again anyway (the throw-away one is not cached). Skipping that
/// call moves the work to the first request, where it happens once.
/// Everything else is the inner client's.
#[derive(Debug, Clone)]
pub struct Lazy<C>(pub C);

impl<C: HttpClient> HttpClient for Lazy<C> {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    /// Nothing to check before the first request: the connector is built
    /// then.
    fn validate_base_client_config(
        &self,
        _: &RuntimeComponentsBuilder,
        _: &ConfigBag,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
    use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture};
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_types::region::Region;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts the eager checks the SDK asks of it.
    #[derive(Debug, Clone, Default)]
    struct Counting {
        validated: Arc<AtomicUsize>,
    }

    impl Counting {
        fn validated(&self) -> usize {
            self.validated.load(Ordering::SeqCst)
        }
    }

    #[derive(Debug)]
    struct NeverConnects;

    impl HttpConnector for NeverConnects {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Err(ConnectorError::other("test connector".into(), None)))
        }
    }

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(NeverConnects)
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.validated.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }

        fn connector_metadata(&self) -> Option<ConnectorMetadata> {
            Some(ConnectorMetadata::new("counting", None))
        }
    }

    fn sqs_client(http: SharedHttpClient) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .http_client(http)
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    #[test]
    fn does_not_pass_on_the_eager_base_config_check() {
        let inner = Counting::default();
        let lazy = Lazy(inner.clone());
        lazy.validate_base_client_config(
            &RuntimeComponentsBuilder::new("test"),
            &ConfigBag::base(),
        )
        .unwrap();
        assert_eq!(inner.validated(), 0);
        assert_eq!(lazy.connector_metadata().unwrap().name(), "counting");
    }

    #[test]
    fn an_sdk_client_made_from_it_runs_no_eager_check() {
        let inner = Counting::default();
        let _lazy = sqs_client(SharedHttpClient::new(Lazy(inner.clone())));
        assert_eq!(inner.validated(), 0);
        // Without the wrapper the SDK runs it as the client is made.
        let _direct = sqs_client(SharedHttpClient::new(inner.clone()));
        assert_eq!(inner.validated(), 1);
    }
}
