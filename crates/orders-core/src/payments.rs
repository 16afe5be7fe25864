//! Payments: the provider port, a deterministic simulated provider that
//! behaves like a real provider's test mode, and the payment records the
//! saga keeps per order.
//!
//! The port is shaped after real providers (Stripe, Adyen): an idempotency
//! key per operation, amounts in minor units, decline codes. So a real
//! adapter is a drop-in for [`SimulatedGateway`].

use crate::error::StoreError;
use crate::model::{format_timestamp, timestamp};
use async_trait::async_trait;
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

/// A payment provider.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn charge(&self, request: &ChargeRequest) -> Result<ProviderCharge, PaymentError>;
    /// Refunds the charge; returns the provider's refund reference.
    async fn refund(&self, request: &RefundRequest) -> Result<String, PaymentError>;
    /// Cancels whatever the request's idempotency key charged, refunding it,
    /// and refuses any later charge with the key (a provider's cancel by
    /// reference, for a charge whose answer was lost). Repeatable.
    async fn void(&self, request: &ChargeRequest) -> Result<VoidOutcome, PaymentError>;
}

/// The simulated provider's durable memory per idempotency key: calls
/// counted (what lets it fail `tok_transient_N` exactly N times across
/// processes), and whether the key was voided.
#[async_trait]
pub trait AttemptCounter: Send + Sync {
    /// Adds one to the key's count and returns the new count (1 the first
    /// time); `None`, and nothing counted, once the key is voided.
    async fn count_attempt(&self, key: &str) -> Result<Option<u32>, StoreError>;

    /// Voids the key (for good) and returns its count at that moment. A
    /// count and a void of one key are atomic with respect to each other.
    async fn void_key(&self, key: &str) -> Result<u32, StoreError>;
}

/// A provider in test mode, deterministic: the token decides the answer,
/// and `tok_transient_N` fails the first N attempts of a key. References
/// are derived from the idempotency key, so a repeated call answers alike.
pub struct SimulatedGateway<C> {
    attempts: C,
}

impl<C> SimulatedGateway<C> {
    pub fn new(attempts: C) -> Self {
        Self { attempts }
    }
}

/// How many first attempts of a charge with `token` fail transiently.
fn transient_failures(token: PaymentToken) -> u32 {
    match token {
        PaymentToken::Transient1 => 1,
        PaymentToken::Transient2 => 2,
        PaymentToken::TransientAlways => u32::MAX,
        _ => 0,
    }
}

/// Whether the provider approves a charge with `token` that gets through.
fn approves(token: PaymentToken) -> bool {
    !matches!(
        token,
        PaymentToken::DeclineInsufficientFunds | PaymentToken::DeclineCard
    )
}

fn charge_key(request: &ChargeRequest) -> String {
    format!("charge#{}", request.idempotency_key)
}

#[async_trait]
impl<C: AttemptCounter> PaymentGateway for SimulatedGateway<C> {
    async fn charge(&self, request: &ChargeRequest) -> Result<ProviderCharge, PaymentError> {
        if request.amount_minor < 0 {
            return Err(PaymentError::Rejected("negative amount".into()));
        }
        let Some(attempt) = self.attempts.count_attempt(&charge_key(request)).await? else {
            return Err(PaymentError::Rejected(format!(
                "charge {} was cancelled",
                request.idempotency_key
            )));
        };
        if attempt <= transient_failures(request.token) {
            return Err(PaymentError::Transient(format!(
                "simulated provider outage (attempt {attempt})"
            )));
        }
        Ok(match request.token {
            PaymentToken::DeclineInsufficientFunds => ProviderCharge::Declined {
                code: DeclineCode::InsufficientFunds,
            },
            PaymentToken::DeclineCard => ProviderCharge::Declined {
                code: DeclineCode::CardDeclined,
            },
            _ => ProviderCharge::Approved {
                provider_ref: format!("ch_sim_{}", simple_ref(&request.idempotency_key)),
            },
        })
    }

    async fn refund(&self, request: &RefundRequest) -> Result<String, PaymentError> {
        Ok(format!("re_sim_{}", simple_ref(&request.idempotency_key)))
    }

    async fn void(&self, request: &ChargeRequest) -> Result<VoidOutcome, PaymentError> {
        let attempts = self.attempts.void_key(&charge_key(request)).await?;
        let charged = approves(request.token)
            && request.amount_minor >= 0
            && attempts > transient_failures(request.token);
        Ok(VoidOutcome {
            refund_ref: charged.then(|| {
                format!(
                    "re_sim_{}",
                    simple_ref(&format!("void#{}", request.idempotency_key))
                )
            }),
        })
    }
}

fn simple_ref(key: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes())
        .simple()
        .to_string()
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

/// The payment records, one per order.
#[async_trait]
pub trait PaymentLedger: Send + Sync {
    async fn get_payment(&self, order_id: Uuid) -> Result<Option<Payment>, StoreError>;

    /// Records the intent to charge (`intent`, status CHARGING) before the
    /// provider is asked, atomically with the fence: only if the order has
    /// no payment, is PROCESSING and its compensation has not begun.
    async fn begin_charge(&self, intent: &Payment) -> Result<ChargeStart, StoreError>;

    /// Records the provider's answer: moves the order's CHARGING payment to
    /// `payment` (status CHARGED or DECLINED, with its reference or decline
    /// code). Returns the stored payment: this one, or whatever another
    /// call recorded first (the first answer wins).
    async fn record_charge(&self, payment: &Payment) -> Result<Payment, StoreError>;

    /// Records the refund of the order's CHARGED payment (status becomes
    /// REFUNDED) unless it is refunded already; returns the stored payment.
    /// `None` if the order has no payment; a DECLINED payment is returned
    /// unchanged.
    async fn record_refund(
        &self,
        order_id: Uuid,
        refund: &Refund,
    ) -> Result<Option<Payment>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Counts(Mutex<HashMap<String, (u32, bool)>>);

    #[async_trait]
    impl AttemptCounter for Counts {
        async fn count_attempt(&self, key: &str) -> Result<Option<u32>, StoreError> {
            let mut m = self.0.lock().unwrap();
            let (n, voided) = m.entry(key.to_string()).or_default();
            if *voided {
                return Ok(None);
            }
            *n += 1;
            Ok(Some(*n))
        }

        async fn void_key(&self, key: &str) -> Result<u32, StoreError> {
            let mut m = self.0.lock().unwrap();
            let (n, voided) = m.entry(key.to_string()).or_default();
            *voided = true;
            Ok(*n)
        }
    }

    fn req(token: PaymentToken, key: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: key.into(),
            amount_minor: 1234,
            currency: "EUR".into(),
            token,
        }
    }

    #[tokio::test]
    async fn tokens_behave_like_a_test_mode() {
        let gw = SimulatedGateway::new(Counts::default());
        let approved = gw.charge(&req(PaymentToken::Approve, "a")).await.unwrap();
        assert!(matches!(approved, ProviderCharge::Approved { .. }));
        assert_eq!(
            gw.charge(&req(PaymentToken::Approve, "a")).await.unwrap(),
            approved
        );
        assert_eq!(
            gw.charge(&req(PaymentToken::DeclineCard, "b"))
                .await
                .unwrap(),
            ProviderCharge::Declined {
                code: DeclineCode::CardDeclined
            }
        );
        assert_eq!(
            gw.charge(&req(PaymentToken::DeclineInsufficientFunds, "c"))
                .await
                .unwrap(),
            ProviderCharge::Declined {
                code: DeclineCode::InsufficientFunds
            }
        );
        for (token, failures) in [(PaymentToken::Transient1, 1), (PaymentToken::Transient2, 2)] {
            let key = token.as_str();
            for _ in 0..failures {
                assert!(matches!(
                    gw.charge(&req(token, key)).await,
                    Err(PaymentError::Transient(_))
                ));
            }
            assert!(matches!(
                gw.charge(&req(token, key)).await,
                Ok(ProviderCharge::Approved { .. })
            ));
        }
        for _ in 0..5 {
            assert!(matches!(
                gw.charge(&req(PaymentToken::TransientAlways, "z")).await,
                Err(PaymentError::Transient(_))
            ));
        }
    }

    #[tokio::test]
    async fn a_voided_key_refunds_what_it_charged_and_charges_nothing_more() {
        let gw = SimulatedGateway::new(Counts::default());
        // Charged, then voided: refunded.
        assert!(gw.charge(&req(PaymentToken::Approve, "a")).await.is_ok());
        assert!(gw
            .void(&req(PaymentToken::Approve, "a"))
            .await
            .unwrap()
            .refund_ref
            .is_some());
        // Never asked, or only failed or declined: nothing to refund.
        for (token, key, ask) in [
            (PaymentToken::Approve, "b", false),
            (PaymentToken::Transient1, "c", true),
            (PaymentToken::DeclineCard, "d", true),
        ] {
            if ask {
                let _ = gw.charge(&req(token, key)).await;
            }
            let voided = gw.void(&req(token, key)).await.unwrap();
            assert_eq!(voided.refund_ref, None, "{key}");
        }
        // After a void every charge with the key is refused, and a second
        // void answers as the first.
        for key in ["a", "b", "c", "d"] {
            assert!(matches!(
                gw.charge(&req(PaymentToken::Approve, key)).await,
                Err(PaymentError::Rejected(_))
            ));
        }
        assert!(gw
            .void(&req(PaymentToken::Approve, "a"))
            .await
            .unwrap()
            .refund_ref
            .is_some());
    }

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
