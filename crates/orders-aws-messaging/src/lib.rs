//! The Orders ports on AWS messaging, and the operations on its dead-letter
//! queues (status events reach the notifications topic
//! from the table's stream through a pipe; nothing here publishes them):
//!
//! - [`AwsNotifier`] (feature `ses`, which brings `sns`): [`orders_core::ports::Notifier`]
//!   sending e-mail with SES v2 (when `EMAIL_SENDER` is set) and SMS with SNS
//!   (when `SMS_ENABLED=true`), and logging the masked message when neither
//!   sends anything, as [`orders_notifications::LogNotifier`] does;
//!   which send errors are refusals for good and which fail for a retry is
//!   [`delivery`]'s typed reading of the SES v2 and SNS errors;
//! - [`dlq::DeadLetterQueue`] (feature `sqs`): count and peek the messages of
//!   an SQS dead-letter queue, redrive them with a message move task, or
//!   copy them back where move tasks are not available.
//!
//! Each Lambda links only the SDKs of the features it enables (the workspace
//! dependency has `default-features = false`). Clients are built from the
//! Lambda environment by [`AwsEnv`] (`orders-aws-runtime`, re-exported here),
//! without `aws-config`, on a rustls-on-`ring` HTTP client,
//! and SDK errors are read by `orders-aws-runtime`'s one classification.
//!
//! Logs carry ids, statuses, channels and error codes; addresses only
//! masked.

#[cfg(feature = "sqs")]
mod classify;
mod config;
mod error;

#[cfg(feature = "ses")]
pub mod delivery;
#[cfg(feature = "sqs")]
pub mod dlq;
#[cfg(feature = "ses")]
mod notifier;

pub use error::MessagingError;
pub use orders_aws_runtime::AwsEnv;

#[cfg(feature = "ses")]
pub use config::ses_client;
#[cfg(feature = "sns")]
pub use config::sns_client;
#[cfg(feature = "sqs")]
pub use config::sqs_client;
#[cfg(feature = "ses")]
pub use delivery::{Refusal, SendError};
#[cfg(feature = "ses")]
pub use notifier::{AwsNotifier, EMAIL_SENDER_ENV, SMS_ENABLED_ENV, SMS_TYPE_ATTRIBUTE};
