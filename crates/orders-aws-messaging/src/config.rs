//! SDK clients from an [`AwsEnv`] (`orders-aws-runtime`: the Lambda environment,
//! no `aws-config`, a rustls-on-`ring` HTTP client per config).
//!
//! Each SDK takes its endpoint override by its service id:
//! `AWS_ENDPOINT_URL_SNS`, `AWS_ENDPOINT_URL_SESV2` (or
//! `AWS_ENDPOINT_URL_SES`), `AWS_ENDPOINT_URL_SQS`, then `AWS_ENDPOINT_URL`.

#[cfg(any(feature = "sns", feature = "ses", feature = "sqs"))]
use orders_aws_runtime::AwsEnv;

/// An SNS client for `env`.
#[cfg(feature = "sns")]
pub fn sns_client(env: &AwsEnv) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&env.sdk_config())
}

/// An SES v2 client for `env`.
#[cfg(feature = "ses")]
pub fn ses_client(env: &AwsEnv) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&env.sdk_config())
}

/// An SQS client for `env`.
#[cfg(feature = "sqs")]
pub fn sqs_client(env: &AwsEnv) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&env.sdk_config())
}
