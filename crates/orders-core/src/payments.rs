//! Payments: what the provider port ([`crate::ports::PaymentGateway`]) is
//! asked and answers, the test tokens, and the payment records the saga
//! keeps per order.
//!
//! The port is shaped after real providers (Stripe, Adyen): an idempotency
//! key per operation, amounts in minor units, decline codes. So a real
//! adapter is a drop-in for the simulated one (`orders-payment-simulator`).

use crate::error::StoreError;
use crate::model::{format_timestamp, timestamp};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// The test tokens `paymentToken` accepts (no token means `tok_approve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentToken {
    #[serde(rename = "tok_approve")]
    Approve,
    #[serde(rename = "tok_decline_insufficient_funds")]
    DeclineInsufficientFunds,
    #[serde(rename = "tok_decline_card")]
    DeclineCard,
    /// Fails transiently once, then approves.
    #[serde(rename = "tok_transient_1")]
    Transient1,
    /// Fails transiently twice, then approves.
    #[serde(rename = "tok_transient_2")]
    Transient2,
    /// Fails transiently every time.
    #[serde(rename = "tok_transient_always")]
    TransientAlways,
}

impl PaymentToken {
    pub const ALL: [PaymentToken; 6] = [
        Self::Approve,
        Self::DeclineInsufficientFunds,
        Self::DeclineCard,
        Self::Transient1,
        Self::Transient2,
        Self::TransientAlways,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "tok_approve",
            Self::DeclineInsufficientFunds => "tok_decline_insufficient_funds",
            Self::DeclineCard => "tok_decline_card",
            Self::Transient1 => "tok_transient_1",
            Self::Transient2 => "tok_transient_2",
            Self::TransientAlways => "tok_transient_always",
        }
    }

    /// The token an order carries, `tok_approve` when it has none.
    pub fn of(token: Option<&str>) -> Result<Self, UnknownToken> {
        token.map_or(Ok(Self::Approve), str::parse)
    }
}

impl fmt::Display for PaymentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of tok_approve, tok_decline_insufficient_funds, tok_decline_card, tok_transient_1, tok_transient_2, tok_transient_always")]
pub struct UnknownToken;

impl FromStr for PaymentToken {
    type Err = UnknownToken;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(UnknownToken)
    }
}

/// Why a provider declined a charge (its decline code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    InsufficientFunds,
    CardDeclined,
}

impl DeclineCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InsufficientFunds => "insufficient_funds",
            Self::CardDeclined => "card_declined",
        }
    }
}

impl FromStr for DeclineCode {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "insufficient_funds" => Ok(Self::InsufficientFunds),
            "card_declined" => Ok(Self::CardDeclined),
            other => Err(StoreError::Corrupt(format!("unknown decline code {other}"))),
        }
    }
}

/// Decimal places of a currency's minor unit (ISO 4217).
pub fn minor_unit_exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `amount` in the currency's minor units (`12.34 EUR` is `1234`), or
/// `None` when it has more places than the currency has (`10.50 JPY`) or
/// does not fit.
pub fn to_minor_units(amount: Decimal, currency: &str) -> Option<i64> {
    // Integer arithmetic on the mantissa: exact, and no decimal rounding
    // code in the functions' binaries.
    let exponent = minor_unit_exponent(currency);
    let (mantissa, scale) = (amount.mantissa(), amount.scale());
    let minor = if scale > exponent {
        let divisor = 10_i128.checked_pow(scale - exponent)?;
        if mantissa % divisor != 0 {
            return None;
        }
        mantissa / divisor
    } else {
        mantissa.checked_mul(10_i128.checked_pow(exponent - scale)?)?
    };
    i64::try_from(minor).ok()
}

/// A charge as a provider takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Same key, same charge: a provider answers a repeated key with the
    /// first result. The order id.
    pub idempotency_key: String,
    pub amount_minor: i64,
    pub currency: String,
    pub token: PaymentToken,
}

/// What a provider answered to a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderCharge {
    Approved { provider_ref: String },
    Declined { code: DeclineCode },
}

/// A refund of a whole charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub idempotency_key: String,
    pub charge_ref: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// Why a provider call did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Unavailable, throttled or timed out: worth a retry with the same key.
    #[error("payment provider unavailable: {0}")]
    Transient(String),
    /// The provider refused the request itself (not a decline): no retry helps.
    #[error("payment provider rejected the request: {0}")]
    Rejected(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What cancelling a charge by its idempotency key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidOutcome {
    /// The refund of the charge the key had made; `None`: it had charged nothing.
    pub refund_ref: Option<String>,
}

/// Where an order's payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// The charge is about to be, or is being, asked of the provider: the
    /// intent, recorded before the provider call, so a compensation that
    /// finds it knows the provider may hold a charge (docs/saga.md).
    Charging,
    /// Charged and not refunded.
    Charged,
    /// The provider declined; nothing was charged.
    Declined,
    /// Charged, then refunded in full.
    Refunded,
    /// The intent was cancelled at the provider by its idempotency key
    /// before an answer was recorded: a charge it had made was refunded
    /// (`refund`), and it refuses any later charge with the key.
    Voided,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Charging => "CHARGING",
            Self::Charged => "CHARGED",
            Self::Declined => "DECLINED",
            Self::Refunded => "REFUNDED",
            Self::Voided => "VOIDED",
        }
    }
}

impl FromStr for PaymentStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "CHARGING" => Ok(Self::Charging),
            "CHARGED" => Ok(Self::Charged),
            "DECLINED" => Ok(Self::Declined),
            "REFUNDED" => Ok(Self::Refunded),
            "VOIDED" => Ok(Self::Voided),
            other => Err(StoreError::Corrupt(format!(
                "unknown payment status {other}"
            ))),
        }
    }
}

/// The refund of a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub refund_id: String,
    pub provider_ref: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "timestamp")]
    pub refunded_at: DateTime<Utc>,
}

/// The payment of one order: one per order, written once, refunded at most
/// once. Keyed by order, so a retried charge or refund finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// `pay_<32 hex>`, derived from the order id.
    pub payment_id: String,
    pub order_id: Uuid,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    pub status: PaymentStatus,
    /// The provider's charge reference (approved charges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<DeclineCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Refund>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
}

/// The payment id of an order.
pub fn payment_id(order_id: Uuid) -> String {
    format!("pay_{}", Uuid::new_v5(&order_id, b"payment").simple())
}

/// The refund id of an order's payment.
pub fn refund_id(order_id: Uuid) -> String {
    format!("rf_{}", Uuid::new_v5(&order_id, b"refund").simple())
}

impl Payment {
    /// Text for logs and the local inspection pages.
    pub fn summary(&self) -> String {
        format!(
            "{} {} {} {} at {}",
            self.payment_id,
            self.status.as_str(),
            self.amount,
            self.currency,
            format_timestamp(self.created_at)
        )
    }
}

/// What recording a charge intent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeStart {
    /// The intent (status CHARGING) is recorded: the provider may be asked.
    Begun(Payment),
    /// The order has a payment already: the stored one, unchanged.
    Exists(Payment),
    /// The order is not PROCESSING, or its compensation has begun (the
    /// saga's fence): nothing was written and nothing may be charged.
    Fenced,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_minor_units() {
        assert_eq!(PaymentToken::of(None), Ok(PaymentToken::Approve));
        for t in PaymentToken::ALL {
            assert_eq!(PaymentToken::of(Some(t.as_str())), Ok(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
        }
        assert!(PaymentToken::of(Some("tok_visa")).is_err());
        assert_eq!(to_minor_units(Decimal::new(1234, 2), "EUR"), Some(1234));
        assert_eq!(to_minor_units(Decimal::new(1000, 2), "JPY"), Some(10));
        assert_eq!(to_minor_units(Decimal::new(1050, 2), "JPY"), None);
        assert_eq!(to_minor_units(Decimal::new(1050, 2), "KWD"), Some(10500));
        assert_eq!(to_minor_units(Decimal::new(1050, 3), "JPY"), None);
        assert_eq!(to_minor_units(Decimal::new(10, 0), "EUR"), Some(1000));
        assert_eq!(to_minor_units(Decimal::new(12340, 3), "EUR"), Some(1234));
        assert_eq!(to_minor_units(Decimal::new(-250, 2), "USD"), Some(-250));
        assert_eq!(to_minor_units(Decimal::MAX, "EUR"), None);
        assert_ne!(payment_id(Uuid::nil()), refund_id(Uuid::nil()));
    }
}
