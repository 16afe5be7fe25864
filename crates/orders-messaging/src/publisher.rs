//! [`EventPublisher`] on the SNS notifications topic.

use crate::classify::classify;
use crate::config::sns_client;
use crate::MessagingError;
use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;
use orders_aws::{var, AwsEnv};
use orders_core::events::{OrderEvent, OrderStatusChanged, ORDER_STATUS_CHANGED};
use orders_core::ports::EventPublisher;
use orders_core::DeliveryError;

/// Environment variable holding the topic ARN (set by the CDK stack).
pub const TOPIC_ARN_ENV: &str = "NOTIFICATIONS_TOPIC_ARN";
/// Message attribute with the event's `eventType` (the notifier
/// subscription's filter policy matches on it).
pub const EVENT_TYPE_ATTRIBUTE: &str = "eventType";
/// Message attribute with the order's new status (`PROCESSING`, ...).
pub const STATUS_ATTRIBUTE: &str = "status";

/// Publishes `OrderStatusChanged` events to the notifications topic: the
/// message is the event JSON, with the message attributes
/// [`EVENT_TYPE_ATTRIBUTE`] and [`STATUS_ATTRIBUTE`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, MessagingError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| MessagingError::InvalidConfig {
            name: "MessageAttributeValue",
            problem: e.to_string(),
        })
}

impl SnsPublisher {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }

    /// The publisher on the topic named by `NOTIFICATIONS_TOPIC_ARN`, with a
    /// client from [`AwsEnv::from_env`].
    pub fn from_env() -> Result<Self, MessagingError> {
        let topic = var(TOPIC_ARN_ENV).ok_or(MessagingError::MissingEnv(TOPIC_ARN_ENV))?;
        Ok(Self::new(sns_client(&AwsEnv::from_env()?), topic))
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    pub fn client(&self) -> &aws_sdk_sns::Client {
        &self.client
    }

    /// Publishes `event`; returns the SNS message id.
    pub async fn publish_event(
        &self,
        event: &OrderStatusChanged,
    ) -> Result<String, MessagingError> {
        let body = OrderEvent::from(event.clone()).to_json();
        let out = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(body)
            .message_attributes(
                EVENT_TYPE_ATTRIBUTE,
                string_attribute(ORDER_STATUS_CHANGED)?,
            )
            .message_attributes(STATUS_ATTRIBUTE, string_attribute(event.status.as_str())?)
            .send()
            .await
            .map_err(|e| classify("Publish", &e))?;
        let message_id = out.message_id.unwrap_or_default();
        tracing::debug!(order_id = %event.order_id, status = %event.status, message_id,
            "status change published");
        Ok(message_id)
    }
}

#[async_trait]
impl EventPublisher for SnsPublisher {
    async fn publish(&self, event: &OrderStatusChanged) -> Result<(), DeliveryError> {
        self.publish_event(event).await.map(|_| ()).map_err(|e| {
            tracing::warn!(order_id = %event.order_id, status = %event.status, error = %e,
                "status change not published");
            e.into()
        })
    }
}
