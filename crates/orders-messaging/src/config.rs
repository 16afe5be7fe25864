//! SDK clients from the Lambda environment, without `aws-config`.
//!
//! A function needs the region, the execution role's credentials (Lambda
//! puts them in the environment for the sandbox's whole life) and, in tests,
//! an endpoint override; `aws-config` would add the STS, SSO and profile
//! machinery for none of that. The HTTP client is rustls on `ring`, built
//! once per process and shared by every client (one certificate store, one
//! TLS set-up at cold start).
//!
//! This is the same construction as `orders-dynamodb`'s `client.rs`, for
//! other services.

use crate::MessagingError;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::sync::OnceLock;

/// The services this crate talks to, for their endpoint overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Sns,
    /// SES v2.
    Ses,
    Sqs,
}

impl Service {
    /// The environment variables that override the endpoint of this service,
    /// most specific first; `AWS_ENDPOINT_URL` applies to every service after
    /// these. SES v2's service id is `SESv2`, so the SDKs' own name is
    /// `AWS_ENDPOINT_URL_SESV2`; `AWS_ENDPOINT_URL_SES` is accepted too.
    pub fn endpoint_vars(self) -> &'static [&'static str] {
        match self {
            Self::Sns => &["AWS_ENDPOINT_URL_SNS"],
            Self::Ses => &["AWS_ENDPOINT_URL_SESV2", "AWS_ENDPOINT_URL_SES"],
            Self::Sqs => &["AWS_ENDPOINT_URL_SQS"],
        }
    }
}

/// Region, credentials and endpoints for building clients.
#[derive(Clone, Default)]
pub struct AwsEnv {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// For every service without its own override (`AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    pub sns_endpoint_url: Option<String>,
    pub ses_endpoint_url: Option<String>,
    pub sqs_endpoint_url: Option<String>,
}

impl std::fmt::Debug for AwsEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsEnv")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("sns_endpoint_url", &self.sns_endpoint_url)
            .field("ses_endpoint_url", &self.ses_endpoint_url)
            .field("sqs_endpoint_url", &self.sqs_endpoint_url)
            .finish_non_exhaustive()
    }
}

/// Reads one environment variable, treating empty as unset.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn first_env(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| env(n))
}

impl AwsEnv {
    /// Region and credentials, no endpoint override.
    pub fn new(
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        Self {
            region: region.into(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            ..Self::default()
        }
    }

    /// Every service at `url` (tests: moto on 127.0.0.1).
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL` and
    /// the per-service overrides of [`Service::endpoint_vars`].
    pub fn from_env() -> Result<Self, MessagingError> {
        Ok(Self {
            region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .ok_or(MessagingError::MissingEnv("AWS_REGION"))?,
            access_key_id: env("AWS_ACCESS_KEY_ID")
                .ok_or(MessagingError::MissingEnv("AWS_ACCESS_KEY_ID"))?,
            secret_access_key: env("AWS_SECRET_ACCESS_KEY")
                .ok_or(MessagingError::MissingEnv("AWS_SECRET_ACCESS_KEY"))?,
            session_token: env("AWS_SESSION_TOKEN"),
            endpoint_url: env("AWS_ENDPOINT_URL"),
            sns_endpoint_url: first_env(Service::Sns.endpoint_vars()),
            ses_endpoint_url: first_env(Service::Ses.endpoint_vars()),
            sqs_endpoint_url: first_env(Service::Sqs.endpoint_vars()),
        })
    }

    /// The endpoint override for `service`, if any.
    pub fn endpoint(&self, service: Service) -> Option<&str> {
        let specific = match service {
            Service::Sns => &self.sns_endpoint_url,
            Service::Ses => &self.ses_endpoint_url,
            Service::Sqs => &self.sqs_endpoint_url,
        };
        specific.as_deref().or(self.endpoint_url.as_deref())
    }
}

/// The process's HTTP client: rustls on `ring`, built on first use.
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

/// One client constructor per SDK: the same steps on each SDK's own types.
macro_rules! client_fn {
    ($(#[$doc:meta])* $feature:literal, $name:ident, $sdk:ident, $service:expr) => {
        $(#[$doc])*
        #[cfg(feature = $feature)]
        pub fn $name(env: &AwsEnv) -> $sdk::Client {
            use $sdk::config::{BehaviorVersion, Credentials, Region};
            let credentials = Credentials::new(
                env.access_key_id.clone(),
                env.secret_access_key.clone(),
                env.session_token.clone(),
                None,
                "lambda-environment",
            );
            let mut config = $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(env.region.clone()))
                .credentials_provider(credentials)
                .http_client(http_client());
            if let Some(endpoint) = env.endpoint($service) {
                config = config.endpoint_url(endpoint);
            }
            $sdk::Client::from_conf(config.build())
        }
    };
}

client_fn!(
    /// An SNS client for `env`.
    "sns",
    sns_client,
    aws_sdk_sns,
    Service::Sns
);
client_fn!(
    /// An SES v2 client for `env`.
    "ses",
    ses_client,
    aws_sdk_sesv2,
    Service::Ses
);
client_fn!(
    /// An SQS client for `env`.
    "sqs",
    sqs_client,
    aws_sdk_sqs,
    Service::Sqs
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_endpoint_wins_over_the_general_one() {
        let mut env = AwsEnv::new("eu-west-1", "a", "b").with_endpoint("http://127.0.0.1:1");
        env.sqs_endpoint_url = Some("http://127.0.0.1:2".into());
        assert_eq!(env.endpoint(Service::Sqs), Some("http://127.0.0.1:2"));
        assert_eq!(env.endpoint(Service::Sns), Some("http://127.0.0.1:1"));
        assert_eq!(AwsEnv::default().endpoint(Service::Ses), None);
    }

    #[test]
    fn debug_output_leaves_out_credentials() {
        let mut env = AwsEnv::new("eu-west-1", "AKIDEXAMPLE", "very-secret");
        env.session_token = Some("token-secret".into());
        let text = format!("{env:?}");
        assert!(text.contains("eu-west-1"));
        assert!(!text.contains("AKIDEXAMPLE") && !text.contains("secret"));
    }
}
