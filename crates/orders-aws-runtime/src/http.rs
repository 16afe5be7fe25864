//! The HTTP client the SDK clients use.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

/// A new HTTP client: rustls on `ring` (not `aws-lc`: smaller arm64 binary,
/// no C toolchain) for `https://` endpoints, plain TCP for `http://` ones
/// ([`ByScheme`]); nothing is built when an SDK client is made, each
/// connector when the first request of its scheme is sent.
///
/// One per [`crate::AwsEnv::sdk_config`], not one per process: a hyper
/// connection pool belongs to the tokio runtime it first ran on, and a
/// process-wide client fails ("dispatch task is gone") in any process that
/// runs more than one runtime, as `cargo test` does with one runtime per
/// test. A function builds its clients once, in `main`, so it still makes
/// one client per service it talks to, at cold start.
pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(ByScheme {
        plain: aws_smithy_http_client::Builder::new().build_http(),
        tls: aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https(),
    })
}

/// Starts loading the system root certificates on a thread of their own,
/// once per process, so that the first `https://` request finds them
/// parsed instead of parsing them itself.
///
/// The roots are the SDK's own (`aws-smithy-http-client` keeps the ones it
/// loads in a process-wide cache): building a throw-away rustls connector
/// fills that cache exactly as the first request would, from the same
/// system store, and the first request's connector then only turns them
/// into its trust anchors. Nothing about verification changes; what moves
/// is reading and decoding the store (about 220 kB of PEM on Lambda's
/// image), which now overlaps with the runtime's start and the first event
/// instead of delaying the first call to DynamoDB. If the first request
/// comes sooner, it waits for the same cache to be filled, never fills it
/// twice.
pub fn load_roots_in_background() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("tls-roots".into())
            .spawn(|| {
                drop(
                    aws_smithy_http_client::Connector::builder()
                        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                        .build(),
                )
            });
        // Without the thread, the first request loads them, as it would.
        drop(spawned);
    });
}

/// An HTTP client that sends `http://` requests through `plain` and every
/// other request through `tls`, and builds neither connector when an SDK
/// client is made from it.
///
/// The hyper client of `aws-smithy-http-client` builds a throw-away
/// connector in `validate_base_client_config` (called by every
/// `Client::new`) "so that native certs load at client initialization
/// time": it parses every system root certificate into a rustls store and
/// sets up TLS, about 3 ms per SDK client at a cold start (create-order's
/// profile, docs/benchmarks.md), and the first request builds its own
/// connector again anyway (the throw-away one is not cached). Skipping that
/// call moves the work to the first request, where it happens once.
///
/// The TLS connector parses the system roots when it is built, whatever the
/// endpoint's scheme, although a plain `http://` endpoint (a local moto or
/// DynamoDB Local) never uses them. Choosing the connector by the request's
/// scheme builds the TLS one, with the same roots and the same verification,
/// only when the first `https://` request is sent: on Lambda that is the
/// first DynamoDB call, which pays for the roots exactly as before. An
/// `http://` request was sent in clear text before too (hyper-rustls's
/// connector passes it through); the plain connector is the same hyper
/// connector, timeouts and pool, without the TLS layer.
#[derive(Debug, Clone)]
pub struct ByScheme<P, T> {
    /// For `http://` requests.
    pub plain: P,
    /// For every other request (`https://`).
    pub tls: T,
}

impl<P, T> HttpClient for ByScheme<P, T>
where
    P: HttpClient + Clone + 'static,
    T: HttpClient + Clone + 'static,
{
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(SchemeConnector {
            client: self.clone(),
            settings: settings.clone(),
            components: components.clone(),
        })
    }

    /// Nothing to check before the first request: the connectors are built
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
        self.plain.validate_final_config(components, cfg)?;
        self.tls.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.tls.connector_metadata()
    }
}

/// The connector of one [`ByScheme`] for one set of settings: asks the
/// inner client of the request's scheme for its connector (built and cached
/// by that client on its first use) and sends the request through it.
#[derive(Debug)]
struct SchemeConnector<P, T> {
    client: ByScheme<P, T>,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
}

impl<P, T> HttpConnector for SchemeConnector<P, T>
where
    P: HttpClient + Clone + 'static,
    T: HttpClient + Clone + 'static,
{
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let connector = if is_plain_http(request.uri()) {
            self.client
                .plain
                .http_connector(&self.settings, &self.components)
        } else {
            self.client
                .tls
                .http_connector(&self.settings, &self.components)
        };
        connector.call(request)
    }
}

/// Whether a request URI is `http://` (ASCII case-insensitive, as schemes
/// are); anything else, `https://` included, goes through TLS.
pub(crate) fn is_plain_http(uri: &str) -> bool {
    uri.get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the roots' thread runs needs no tokio runtime (a panic there
    /// would only leave the first request to load them).
    #[test]
    fn the_roots_thread_builds_a_connector_outside_a_runtime() {
        drop(
            aws_smithy_http_client::Connector::builder()
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build(),
        );
        load_roots_in_background();
        load_roots_in_background();
    }
    use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_types::region::Region;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Counts the eager checks the SDK asks of it and the requests sent
    /// through its connectors.
    #[derive(Debug, Clone, Default)]
    struct Counting {
        validated: Arc<AtomicUsize>,
        sent: Arc<AtomicUsize>,
    }

    impl Counting {
        fn validated(&self) -> usize {
            self.validated.load(Ordering::SeqCst)
        }

        fn sent(&self) -> usize {
            self.sent.load(Ordering::SeqCst)
        }
    }

    #[derive(Debug)]
    struct NeverConnects(Arc<AtomicUsize>);

    impl HttpConnector for NeverConnects {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            self.0.fetch_add(1, Ordering::SeqCst);
            HttpConnectorFuture::ready(Err(ConnectorError::other("test connector".into(), None)))
        }
    }

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(NeverConnects(self.sent.clone()))
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

    fn sqs_client(http: SharedHttpClient, endpoint: Option<&str>) -> aws_sdk_sqs::Client {
        let mut config = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            ))
            .http_client(http);
        config.set_endpoint_url(endpoint.map(str::to_owned));
        aws_sdk_sqs::Client::from_conf(config.build())
    }

    fn by_scheme() -> (Counting, Counting, SharedHttpClient) {
        let (plain, tls) = (Counting::default(), Counting::default());
        let client = SharedHttpClient::new(ByScheme {
            plain: plain.clone(),
            tls: tls.clone(),
        });
        (plain, tls, client)
    }

    #[test]
    fn does_not_pass_on_the_eager_base_config_check() {
        let (plain, tls, client) = by_scheme();
        client
            .validate_base_client_config(&RuntimeComponentsBuilder::new("test"), &ConfigBag::base())
            .unwrap();
        assert_eq!((plain.validated(), tls.validated()), (0, 0));
        assert_eq!(client.connector_metadata().unwrap().name(), "counting");
    }

    #[test]
    fn an_sdk_client_made_from_it_runs_no_eager_check() {
        let (plain, tls, client) = by_scheme();
        let _lazy = sqs_client(client, None);
        assert_eq!((plain.validated(), tls.validated()), (0, 0));
        // Without the wrapper the SDK runs it as the client is made.
        let _direct = sqs_client(SharedHttpClient::new(tls.clone()), None);
        assert_eq!(tls.validated(), 1);
    }

    #[test]
    fn only_http_uris_count_as_plain() {
        assert!(is_plain_http("http://127.0.0.1:5000/"));
        assert!(is_plain_http("HTTP://localhost"));
        assert!(!is_plain_http("https://dynamodb.eu-west-1.amazonaws.com/"));
        assert!(!is_plain_http("http:/x"));
        assert!(!is_plain_http(""));
    }

    async fn send_one(client: &aws_sdk_sqs::Client) {
        let sent = client.list_queues().send().await;
        assert!(sent.is_err(), "the test connectors never answer");
    }

    #[tokio::test]
    async fn requests_go_to_the_connector_of_their_scheme() {
        let (plain, tls, client) = by_scheme();
        send_one(&sqs_client(client.clone(), Some("http://127.0.0.1:9"))).await;
        assert!(plain.sent() >= 1);
        assert_eq!(tls.sent(), 0, "no TLS connector for an http:// endpoint");
        let plain_sent = plain.sent();
        // The SDK's default endpoint for the region is https.
        send_one(&sqs_client(client, None)).await;
        assert!(tls.sent() >= 1);
        assert_eq!(plain.sent(), plain_sent);
    }
}
