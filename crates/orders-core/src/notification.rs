//! What the customer is told about an order's status, ready to send: the
//! value the [`crate::ports::NotificationRenderer`] writes and the
//! [`crate::ports::Notifier`] sends, and the channels it can go out on.

use crate::model::OrderStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a notification went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    /// Neither is enabled (or the order has no address): the rendered
    /// message was logged, address masked.
    Log,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Log => "log",
        }
    }
}

/// An e-mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A text message ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsMessage {
    /// E.164.
    pub to: String,
    pub text: String,
}

/// What the customer is told about one status of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub order_id: Uuid,
    pub status: OrderStatus,
    pub email: Option<EmailMessage>,
    pub sms: Option<SmsMessage>,
}
