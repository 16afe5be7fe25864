//! The order and its lifecycle.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use uuid::{NoContext, Timestamp, Uuid};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        Self::Pending,
        Self::Processing,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Processing => "PROCESSING",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// The moves the lifecycle allows: PENDING to PROCESSING or CANCELLED,
    /// PROCESSING to COMPLETED or FAILED; the last three are final.
    pub fn can_move_to(self, next: OrderStatus) -> bool {
        matches!(
            (self, next),
            (Self::Pending, Self::Processing)
                | (Self::Pending, Self::Cancelled)
                | (Self::Processing, Self::Completed)
                | (Self::Processing, Self::Failed)
        )
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    /// Whether the customer hears about this status (every status but
    /// PENDING).
    pub fn is_notified(self) -> bool {
        self != Self::Pending
    }
}

impl Order {
    /// Whether the saga may still move money or stock forward for this
    /// order: it is PROCESSING and its compensation has not begun.
    pub fn accepts_saga_progress(&self) -> bool {
        self.status == OrderStatus::Processing && self.compensation_started_at.is_none()
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of PENDING, PROCESSING, COMPLETED, FAILED, CANCELLED")]
pub struct UnknownStatus;

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(UnknownStatus)
    }
}

/// One line of an order. `price` and `line_total` always carry two places.
/// Why an order FAILED: the order's `statusReason` and the event's `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureReason {
    PaymentDeclined,
    OutOfStock,
    ProcessingError,
}

impl FailureReason {
    pub const ALL: [FailureReason; 3] = [
        Self::PaymentDeclined,
        Self::OutOfStock,
        Self::ProcessingError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentDeclined => "PAYMENT_DECLINED",
            Self::OutOfStock => "OUT_OF_STOCK",
            Self::ProcessingError => "PROCESSING_ERROR",
        }
    }

    /// The reason in words, as the customer reads it.
    pub fn words(self) -> &'static str {
        match self {
            Self::PaymentDeclined => "your payment was declined",
            Self::OutOfStock => "some items are out of stock",
            Self::ProcessingError => "a technical problem stopped us from processing it",
        }
    }

    /// The words for a stored reason code; the code itself if unknown.
    pub fn words_for(code: &str) -> &str {
        match code.parse::<Self>() {
            Ok(reason) => reason.words(),
            Err(()) => code,
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub sku: String,
    pub quantity: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub line_total: Decimal,
}

/// An order as stored and as returned by the API.
///
/// `customer_email` and `customer_phone` are kept (notifications need them)
/// but never serialized into API responses, events or logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_id: Uuid,
    pub customer_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    #[serde(skip)]
    pub customer_email: Option<String>,
    #[serde(skip)]
    pub customer_phone: Option<String>,
    pub items: Vec<OrderItem>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: String,
    pub status: OrderStatus,
    /// Why the order is FAILED: `PAYMENT_DECLINED`, `OUT_OF_STOCK` or
    /// `PROCESSING_ERROR` ([`FailureReason`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The reason's particulars in words (the decline code, the SKUs out of stock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// The payment token the order is charged with (`tok_approve` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_token: Option<String>,
    /// When the saga began to compensate the order (release, refund): the
    /// saga's fence. Set once, only while PROCESSING; from then on the order
    /// cannot complete and no charge or reservation is recorded for it
    /// (docs/saga.md, "The fence"). Internal: never in responses or events.
    #[serde(skip)]
    pub compensation_started_at: Option<DateTime<Utc>>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// Number of write shards of each index partition (see docs/data-model.md).
pub const STATUS_SHARDS: u8 = 16;

impl Order {
    /// The index sort key: `<createdAt>#<orderId>`; string order is time order.
    pub fn sort_key(&self) -> String {
        sort_key(self.created_at, self.order_id)
    }

    /// The write shard of this order, stable for its whole life.
    pub fn shard(&self) -> u8 {
        shard_of(self.order_id)
    }
}

/// `<createdAt>#<orderId>`.
pub fn sort_key(created_at: DateTime<Utc>, order_id: Uuid) -> String {
    format!("{}#{}", format_timestamp(created_at), order_id)
}

/// The shard an order id falls in: the low bits of its random part.
pub fn shard_of(order_id: Uuid) -> u8 {
    order_id.as_bytes()[15] % STATUS_SHARDS
}

/// A new order id (UUID v7) for an order created at `now`, and its
/// `createdAt`: `now` to the millisecond, the instant the id encodes.
///
/// The caller reads the clock (the handler, once per request); nothing here
/// does. Ids made in one process for the same millisecond increase, so
/// orders created within a millisecond still list in creation order (what
/// `Uuid::now_v7` guaranteed, kept for any `now`, fixed test times included).
pub fn new_order_id(now: DateTime<Utc>) -> (Uuid, DateTime<Utc>) {
    /// The last id of each of the most recent milliseconds seen.
    static LAST: Mutex<Vec<(i64, u128)>> = Mutex::new(Vec::new());
    const REMEMBERED: usize = 16;
    const RAND_B: u128 = (1 << 62) - 1;
    let created = truncate_to_millis(now);
    let ts = Timestamp::from_unix(
        NoContext,
        u64::try_from(created.timestamp()).unwrap_or(0),
        created.timestamp_subsec_nanos(),
    );
    let mut id = Uuid::new_v7(ts).as_u128();
    let ms = created.timestamp_millis();
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    match last.iter_mut().find(|(m, _)| *m == ms) {
        Some((_, prev)) => {
            // Above the previous id of this millisecond; the increment stays
            // inside the random bits (version and variant untouched).
            if id <= *prev && *prev & RAND_B != RAND_B {
                id = *prev + 1;
            }
            *prev = id;
        }
        None => {
            if last.len() == REMEMBERED {
                last.remove(0);
            }
            last.push((ms, id));
        }
    }
    (Uuid::from_u128(id), created)
}

/// `t` without its sub-millisecond part (stores keep milliseconds).
pub fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t.timestamp_millis())
        .single()
        .unwrap_or(t)
}

/// An order id that is no UUID (a 400 on the `orderId` field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a UUID such as 019a1b2c-3d4e-7f00-8123-456789abcdef")]
pub struct InvalidOrderId;

/// Parses an order id from a path or query parameter.
pub fn parse_order_id(raw: &str) -> Result<Uuid, InvalidOrderId> {
    Uuid::try_parse(raw).map_err(|_| InvalidOrderId)
}

/// RFC 3339, UTC, exactly three fractional digits: `2026-11-22T02:01:33.123Z`.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Serde for timestamps in the fixed format above.
pub mod timestamp {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_timestamp(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_timestamp(&s).ok_or_else(|| serde::de::Error::custom("invalid timestamp"))
    }
}

/// One thing worth counting, with the ids that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric<'a> {
    /// An order was created (not replayed): `OrdersCreated` 1, `OrderValue`.
    OrderCreated {
        order_id: &'a str,
        total: Decimal,
        currency: &'a str,
    },
    /// An order moved to PROCESSING, `lag_ms` after it was created.
    ProcessingLag { order_id: &'a str, lag_ms: i64 },
    /// A notification went out on `channels` (comma-separated).
    NotificationSent {
        order_id: &'a str,
        status: &'a str,
        channels: &'a str,
    },
    /// The delivery service refused a notification for good, with `code`
    /// (its error code; comma-separated when several channels refused).
    NotificationRefused {
        order_id: &'a str,
        status: &'a str,
        code: &'a str,
    },
}

#[cfg(test)]
mod tests;
