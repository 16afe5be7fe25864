//! Region, credentials and endpoints from the Lambda environment, and the
//! [`SdkConfig`] every SDK client is built from.

use crate::http_client;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use aws_types::SdkConfig;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long one attempt of an SDK call may take before the SDK gives up on
/// it and (budget allowing) retries. DynamoDB, SQS and SNS answer in
/// milliseconds; two seconds is a hung connection, not a slow answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one SDK call may take with its retries (the standard retry
/// mode: 3 attempts with jittered backoff). Under the functions' 10 s
/// timeout, so a hung service ends as a timeout the function answers
/// (503 with `Retry-After`), not as a function that timed out.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(6);

/// The general endpoint override; `AWS_ENDPOINT_URL_<SERVICE>` wins over it.
const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";
/// The prefix of the per-service overrides (`AWS_ENDPOINT_URL_DYNAMODB`).
const SERVICE_ENDPOINT_PREFIX: &str = "AWS_ENDPOINT_URL_";
/// Extra names accepted for a service's override, after its own:
/// SES v2's service id is `SESv2` (`AWS_ENDPOINT_URL_SESV2`), and
/// `AWS_ENDPOINT_URL_SES` has always been accepted for it here.
const ENDPOINT_ALIASES: &[(&str, &str)] = &[("SESV2", "SES")];

/// The name the credentials from the environment carry in SDK logs.
pub const CREDENTIALS_PROVIDER_NAME: &str = "lambda-environment";

/// A required environment variable is missing or empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not set")]
pub struct MissingEnv(pub &'static str);

/// Region, credentials and endpoint overrides for building clients.
///
/// `Debug` leaves the credentials out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AwsEnv {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// For every service without its own override (`AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Per-service overrides, keyed as the variables name the service:
    /// the SDK's service id in upper case with spaces as `_` (`DYNAMODB`,
    /// `SNS`, `SESV2`, `SQS`, `SFN`).
    pub service_endpoints: BTreeMap<String, String>,
}

impl std::fmt::Debug for AwsEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsEnv")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("service_endpoints", &self.service_endpoints)
            .finish_non_exhaustive()
    }
}

/// One environment variable, empty (or blank) counting as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `DynamoDB` -> `DYNAMODB`, `SESv2` -> `SESV2`: how the SDKs (and
/// `aws-config`) turn a service id into the suffix of its variables.
fn env_suffix(service_id: &str) -> String {
    service_id.to_uppercase().replace(' ', "_")
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

    /// The service with id `service_id` (`DynamoDB`, `SQS`, ...) at `url`.
    pub fn with_service_endpoint(mut self, service_id: &str, url: impl Into<String>) -> Self {
        self.service_endpoints
            .insert(env_suffix(service_id), url.into());
        self
    }

    /// From the process environment: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_ENDPOINT_URL` and every `AWS_ENDPOINT_URL_<SERVICE>`. Empty
    /// values count as unset.
    pub fn from_env() -> Result<Self, MissingEnv> {
        Self::from_vars(std::env::vars())
    }

    /// As [`AwsEnv::from_env`], from the given variables.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, MissingEnv> {
        let vars: BTreeMap<String, String> = vars
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let get = |name: &str| vars.get(name).cloned();
        let require = |name: &'static str| get(name).ok_or(MissingEnv(name));
        let region = get("AWS_REGION")
            .or_else(|| get("AWS_DEFAULT_REGION"))
            .ok_or(MissingEnv("AWS_REGION"))?;
        let service_endpoints = vars
            .iter()
            .filter_map(|(name, value)| {
                let service = name.strip_prefix(SERVICE_ENDPOINT_PREFIX)?;
                Some((service.to_string(), value.clone()))
            })
            .collect();
        Ok(Self {
            region,
            access_key_id: require("AWS_ACCESS_KEY_ID")?,
            secret_access_key: require("AWS_SECRET_ACCESS_KEY")?,
            session_token: get("AWS_SESSION_TOKEN"),
            endpoint_url: get(ENDPOINT_ENV),
            service_endpoints,
        })
    }

    /// The override for the service with id `service_id` alone, if any.
    fn service_endpoint(&self, service_id: &str) -> Option<&str> {
        let suffix = env_suffix(service_id);
        let aliases = ENDPOINT_ALIASES
            .iter()
            .filter(|(id, _)| *id == suffix)
            .map(|(_, alias)| *alias);
        std::iter::once(suffix.as_str())
            .chain(aliases)
            .find_map(|name| self.service_endpoints.get(name))
            .map(String::as_str)
    }

    /// The endpoint a client of the service with id `service_id` uses: its
    /// own override, else the general one, else none (the SDK's regional
    /// endpoint).
    pub fn endpoint(&self, service_id: &str) -> Option<&str> {
        self.service_endpoint(service_id)
            .or(self.endpoint_url.as_deref())
    }

    /// Whether a client of this config may send an `https://` request: any
    /// service without a plain `http://` override (on Lambda, all of them).
    pub fn may_use_tls(&self) -> bool {
        let plain = |url: &str| crate::http::is_plain_http(url);
        !(self.endpoint_url.as_deref().is_some_and(plain)
            && self.service_endpoints.values().all(|url| plain(url)))
    }

    /// The shared config for every SDK client: region, these credentials,
    /// a new [`http_client`], the latest behaviour version (its standard
    /// retries: 3 attempts), [`ATTEMPT_TIMEOUT`] and [`OPERATION_TIMEOUT`],
    /// and the endpoint overrides. Each SDK reads its own override from it when its
    /// `Config` is built (`Client::new(&config)`), by its service id, then
    /// falls back to `AWS_ENDPOINT_URL`.
    pub fn sdk_config(&self) -> SdkConfig {
        if self.may_use_tls() {
            crate::http::load_roots_in_background();
        }
        let credentials = Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            None,
            CREDENTIALS_PROVIDER_NAME,
        );
        let mut builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .http_client(http_client())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .operation_timeout(OPERATION_TIMEOUT)
                    .build(),
            )
            .service_config(ServiceEndpoints(self.clone()));
        if let Some(url) = &self.endpoint_url {
            builder = builder.endpoint_url(url.clone());
        }
        builder.build()
    }
}

/// What an SDK asks for when it builds its config from an [`SdkConfig`]:
/// here, only its endpoint override (`AWS_ENDPOINT_URL` + its service id).
#[derive(Debug)]
struct ServiceEndpoints(AwsEnv);

impl LoadServiceConfig for ServiceEndpoints {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        (key.env() == ENDPOINT_ENV)
            .then(|| self.0.service_endpoint(key.service_id()))
            .flatten()
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const BASE: [(&str, &str); 3] = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ];

    #[test]
    fn every_call_is_bounded_in_time() {
        let config = AwsEnv::new("eu-west-1", "a", "b").sdk_config();
        let t = config.timeout_config().expect("timeouts set");
        assert_eq!(t.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(t.operation_timeout(), Some(OPERATION_TIMEOUT));
        // Three attempts fit in the operation's budget, under the 10 s
        // function timeout.
        assert!(ATTEMPT_TIMEOUT * 3 <= OPERATION_TIMEOUT);
        assert!(OPERATION_TIMEOUT < Duration::from_secs(10));
    }

    #[test]
    fn reads_region_credentials_and_endpoints() {
        let mut pairs = BASE.to_vec();
        pairs.extend([
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2"),
            ("AWS_ENDPOINT_URL_SQS", "  "),
            ("UNRELATED", "x"),
        ]);
        let env = AwsEnv::from_vars(vars(&pairs)).unwrap();
        assert_eq!(env.region, "eu-west-1");
        assert_eq!(env.access_key_id, "AKIDEXAMPLE");
        assert_eq!(env.secret_access_key, "very-secret");
        assert_eq!(env.session_token.as_deref(), Some("token"));
        assert_eq!(env.endpoint("DynamoDB"), Some("http://127.0.0.1:2"));
        // Blank counts as unset: the general override applies.
        assert_eq!(env.endpoint("SQS"), Some("http://127.0.0.1:1"));
        assert_eq!(env.endpoint("SNS"), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn tls_is_possible_unless_every_endpoint_is_plain_http() {
        let env = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = BASE.to_vec();
            pairs.extend_from_slice(extra);
            AwsEnv::from_vars(vars(&pairs)).unwrap()
        };
        assert!(env(&[]).may_use_tls(), "no override: AWS's https endpoints");
        assert!(!env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "HTTP://127.0.0.1:2"),
        ])
        .may_use_tls());
        assert!(env(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "https://127.0.0.1:2"),
        ])
        .may_use_tls());
        assert!(
            env(&[("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")]).may_use_tls(),
            "the services without an override go to AWS"
        );
    }

    #[test]
    fn default_region_and_missing_variables() {
        let env = AwsEnv::from_vars(vars(&[
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_ACCESS_KEY_ID", "a"),
            ("AWS_SECRET_ACCESS_KEY", "b"),
        ]))
        .unwrap();
        assert_eq!(env.region, "us-west-2");
        assert_eq!(env.session_token, None);
        assert_eq!(env.endpoint("DynamoDB"), None);

        for missing in ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            let pairs: Vec<_> = BASE
                .iter()
                .filter(|(k, _)| *k != missing)
                .copied()
                .collect();
            assert_eq!(AwsEnv::from_vars(vars(&pairs)), Err(MissingEnv(missing)));
        }
        let mut empty_region = BASE.to_vec();
        empty_region[0].1 = "";
        assert_eq!(
            AwsEnv::from_vars(vars(&empty_region))
                .unwrap_err()
                .to_string(),
            "AWS_REGION is not set"
        );
    }

    #[test]
    fn service_endpoint_wins_and_ses_has_an_alias() {
        let env = AwsEnv::new("eu-west-1", "a", "b")
            .with_endpoint("http://127.0.0.1:1")
            .with_service_endpoint("SQS", "http://127.0.0.1:2")
            .with_service_endpoint("SES", "http://127.0.0.1:3");
        assert_eq!(env.endpoint("SQS"), Some("http://127.0.0.1:2"));
        assert_eq!(env.endpoint("SNS"), Some("http://127.0.0.1:1"));
        assert_eq!(env.endpoint("SESv2"), Some("http://127.0.0.1:3"));
        let own = env.with_service_endpoint("SESv2", "http://127.0.0.1:4");
        assert_eq!(own.endpoint("SESv2"), Some("http://127.0.0.1:4"));
        assert_eq!(AwsEnv::default().endpoint("SESv2"), None);
        // A service id with a space, as some SDKs have.
        let spaced = AwsEnv::default().with_service_endpoint("Some Service", "http://127.0.0.1:5");
        assert!(spaced.service_endpoints.contains_key("SOME_SERVICE"));
        assert_eq!(spaced.endpoint("Some Service"), Some("http://127.0.0.1:5"));
    }

    #[test]
    fn sdk_config_carries_region_credentials_and_endpoints() {
        let env = AwsEnv::new("eu-west-1", "a", "b")
            .with_endpoint("http://127.0.0.1:1")
            .with_service_endpoint("DynamoDB", "http://127.0.0.1:2");
        let config = env.sdk_config();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:1"));
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some());
        assert!(config.behavior_version().is_some());
        let key = |service_id, env| {
            ServiceConfigKey::builder()
                .service_id(service_id)
                .env(env)
                .profile("endpoint_url")
                .build()
                .unwrap()
        };
        let loader = config.service_config().expect("endpoint loader");
        assert_eq!(
            loader
                .load_config(key("DynamoDB", "AWS_ENDPOINT_URL"))
                .as_deref(),
            Some("http://127.0.0.1:2")
        );
        // No override of its own: the SDK falls back to the general one.
        assert_eq!(loader.load_config(key("SQS", "AWS_ENDPOINT_URL")), None);
        assert_eq!(loader.load_config(key("DynamoDB", "AWS_OTHER")), None);
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
