//! [`Notifier`] on SES v2 (e-mail) and SNS (SMS).

use crate::config::{ses_client, sns_client};
use crate::delivery::{classify_publish, classify_send_email, delivery_error, SendError};
use crate::MessagingError;
use async_trait::async_trait;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sns::types::MessageAttributeValue;
use orders_aws_runtime::{var, AwsEnv};
use orders_core::notification::{Channel, EmailMessage, Notification, SmsMessage};
use orders_core::ports::Notifier;
use orders_core::DeliveryError;
use orders_notifications::{mask_email, mask_phone, LogNotifier};

/// The verified SES identity e-mails are sent from; unset or empty: no
/// e-mail.
pub const EMAIL_SENDER_ENV: &str = orders_core::contract::env::EMAIL_SENDER;
/// `true` sends SMS through SNS; unset or `false`: no SMS.
pub const SMS_ENABLED_ENV: &str = orders_core::contract::env::SMS_ENABLED;
/// The SNS SMS attribute that marks a message as transactional (delivered
/// with priority, and not subject to marketing opt-out rules).
pub const SMS_TYPE_ATTRIBUTE: &str = "AWS.SNS.SMS.SMSType";

#[derive(Debug, Clone)]
struct EmailChannel {
    client: aws_sdk_sesv2::Client,
    sender: String,
}

/// Sends a [`Notification`] on the channels the stage enables: e-mail with
/// SES v2 `SendEmail` from the configured sender, SMS with SNS `Publish` to
/// the phone number (transactional). A channel that is not enabled, or for
/// which the notification has no address, sends nothing; when no channel
/// sent anything, the notification is logged with its addresses masked
/// ([`LogNotifier`]) and the result is `[Channel::Log]`.
///
/// # Failures
///
/// Every channel the notification can use is tried. If at least one sent,
/// the result is the channels that sent, and a failed one is logged, not
/// retried: the caller's ledger marks (order, status) sent, and a retry
/// would repeat the message the customer already has. If none sent, the
/// error is [`DeliveryError::Rejected`] (with every channel's code) when
/// every channel was refused for good, else [`DeliveryError::Unavailable`]
/// (see [`crate::delivery`] for which errors are refusals).
#[derive(Debug, Clone, Default)]
pub struct AwsNotifier {
    email: Option<EmailChannel>,
    sms: Option<aws_sdk_sns::Client>,
}

/// Parses a boolean setting: `true`/`false`, `1`/`0`, `yes`/`no`.
fn parse_flag(name: &'static str, value: &str) -> Result<bool, MessagingError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(MessagingError::InvalidConfig {
            name,
            problem: format!("expected true or false, not {other:?}"),
        }),
    }
}

fn text(op: &'static str, data: &str) -> Result<Content, SendError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| SendError::unbuildable(op, e))
}

impl AwsNotifier {
    /// A notifier with no channel: every notification is logged.
    pub fn log_only() -> Self {
        Self::default()
    }

    /// Sends e-mail through `client` from `sender` (a verified identity).
    pub fn with_email(mut self, client: aws_sdk_sesv2::Client, sender: impl Into<String>) -> Self {
        self.email = Some(EmailChannel {
            client,
            sender: sender.into(),
        });
        self
    }

    /// Sends SMS through `client`.
    pub fn with_sms(mut self, client: aws_sdk_sns::Client) -> Self {
        self.sms = Some(client);
        self
    }

    /// The notifier the environment describes: e-mail when `EMAIL_SENDER`
    /// is set, SMS when `SMS_ENABLED` is `true`, clients from
    /// [`AwsEnv::from_env`] (read only when a channel is enabled).
    pub fn from_env() -> Result<Self, MessagingError> {
        let sender = var(EMAIL_SENDER_ENV);
        let sms = match var(SMS_ENABLED_ENV) {
            Some(v) => parse_flag(SMS_ENABLED_ENV, &v)?,
            None => false,
        };
        let mut notifier = Self::log_only();
        if sender.is_none() && !sms {
            tracing::info!("notifier: no channel enabled; notifications are logged");
            return Ok(notifier);
        }
        let aws = AwsEnv::from_env()?;
        if let Some(sender) = sender {
            notifier = notifier.with_email(ses_client(&aws), sender);
        }
        if sms {
            notifier = notifier.with_sms(sns_client(&aws));
        }
        tracing::info!(channels = ?notifier.enabled_channels(), "notifier configured");
        Ok(notifier)
    }

    /// The channels this notifier may send on.
    pub fn enabled_channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.email.is_some() {
            out.push(Channel::Email);
        }
        if self.sms.is_some() {
            out.push(Channel::Sms);
        }
        out
    }

    /// The configured sender, if e-mail is enabled.
    pub fn email_sender(&self) -> Option<&str> {
        self.email.as_ref().map(|e| e.sender.as_str())
    }

    async fn send_email(channel: &EmailChannel, email: &EmailMessage) -> Result<String, SendError> {
        let message = Message::builder()
            .subject(text("SendEmail", &email.subject)?)
            .body(
                Body::builder()
                    .text(text("SendEmail", &email.body)?)
                    .build(),
            )
            .build();
        let out = channel
            .client
            .send_email()
            .from_email_address(&channel.sender)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| classify_send_email(&e).redact(&email.to, &mask_email(&email.to)))?;
        Ok(out.message_id.unwrap_or_default())
    }

    async fn send_sms(client: &aws_sdk_sns::Client, sms: &SmsMessage) -> Result<String, SendError> {
        let transactional = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .map_err(|e| SendError::unbuildable("Publish", e))?;
        let out = client
            .publish()
            .phone_number(&sms.to)
            .message(&sms.text)
            .message_attributes(SMS_TYPE_ATTRIBUTE, transactional)
            .send()
            .await
            .map_err(|e| classify_publish(&e).redact(&sms.to, &mask_phone(&sms.to)))?;
        Ok(out.message_id.unwrap_or_default())
    }
}

#[async_trait]
impl Notifier for AwsNotifier {
    async fn send(&self, n: &Notification) -> Result<Vec<Channel>, DeliveryError> {
        let mut sent = Vec::new();
        let mut failed: Vec<(Channel, SendError)> = Vec::new();
        if let (Some(channel), Some(email)) = (&self.email, &n.email) {
            match Self::send_email(channel, email).await {
                Ok(message_id) => {
                    tracing::info!(order_id = %n.order_id, status = %n.status, channel = "email",
                        to = %mask_email(&email.to), message_id, "notification sent");
                    sent.push(Channel::Email);
                }
                Err(e) => failed.push((Channel::Email, e)),
            }
        }
        if let (Some(client), Some(sms)) = (&self.sms, &n.sms) {
            match Self::send_sms(client, sms).await {
                Ok(message_id) => {
                    tracing::info!(order_id = %n.order_id, status = %n.status, channel = "sms",
                        to = %mask_phone(&sms.to), message_id, "notification sent");
                    sent.push(Channel::Sms);
                }
                Err(e) => failed.push((Channel::Sms, e)),
            }
        }
        if sent.is_empty() && failed.is_empty() {
            // Nothing enabled for what this notification carries.
            return LogNotifier.send(n).await;
        }
        for (channel, e) in &failed {
            match e.refusal() {
                Some(refusal) => tracing::warn!(order_id = %n.order_id, status = %n.status,
                    channel = channel.as_str(), error_code = e.code(), refusal = refusal.as_str(),
                    error = %e, "notification channel refused for good"),
                None => tracing::error!(order_id = %n.order_id, status = %n.status,
                    channel = channel.as_str(), error_code = e.code(), error = %e,
                    "notification channel failed"),
            }
        }
        if !sent.is_empty() {
            return Ok(sent);
        }
        Err(delivery_error(failed.iter().map(|(c, e)| (c.as_str(), e))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::OrderStatus;

    fn notification(email: bool, sms: bool) -> Notification {
        Notification {
            order_id: uuid::Uuid::nil(),
            status: OrderStatus::Processing,
            email: email.then(|| EmailMessage {
                to: "ada@example.com".into(),
                subject: "s".into(),
                body: "b".into(),
            }),
            sms: sms.then(|| SmsMessage {
                to: "+14155550100".into(),
                text: "t".into(),
            }),
        }
    }

    /// Clients pointed at a closed port: any call would fail.
    fn unreachable() -> AwsEnv {
        AwsEnv::new("us-east-1", "a", "b").with_endpoint("http://127.0.0.1:9")
    }

    #[test]
    fn flags() {
        assert!(parse_flag("X", "true").unwrap());
        assert!(parse_flag("X", " TRUE ").unwrap());
        assert!(!parse_flag("X", "false").unwrap());
        assert!(!parse_flag("X", "0").unwrap());
        assert!(parse_flag("X", "maybe").is_err());
    }

    #[tokio::test]
    async fn no_channel_logs() {
        let n = AwsNotifier::log_only();
        assert!(n.enabled_channels().is_empty());
        assert_eq!(
            n.send(&notification(true, true)).await.unwrap(),
            [Channel::Log]
        );
    }

    #[tokio::test]
    async fn enabled_channel_without_address_logs() {
        let env = unreachable();
        let n = AwsNotifier::log_only()
            .with_email(ses_client(&env), "orders@example.com")
            .with_sms(sns_client(&env));
        assert_eq!(n.enabled_channels(), [Channel::Email, Channel::Sms]);
        assert_eq!(n.email_sender(), Some("orders@example.com"));
        assert_eq!(
            n.send(&notification(false, false)).await.unwrap(),
            [Channel::Log]
        );
        // SMS only enabled, the order has only an e-mail address.
        let sms_only = AwsNotifier::log_only().with_sms(sns_client(&env));
        assert_eq!(
            sms_only.send(&notification(true, false)).await.unwrap(),
            [Channel::Log]
        );
    }

    #[tokio::test]
    async fn unreachable_service_is_retryable_and_masks_addresses() {
        let env = unreachable();
        let n = AwsNotifier::log_only().with_sms(sns_client(&env));
        let err = n.send(&notification(false, true)).await.unwrap_err();
        assert!(matches!(err, DeliveryError::Unavailable(_)), "{err}");
        assert!(!err.to_string().contains("4155550100"), "{err}");
    }
}
