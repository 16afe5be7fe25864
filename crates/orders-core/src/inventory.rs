//! Inventory: a stock record per SKU, and reservations per order that are
//! all or nothing across the order's lines.

use crate::error::StoreError;
use crate::model::{timestamp, OrderItem};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use uuid::Uuid;

/// Stock of one SKU: `available` can be reserved; `reserved` is held by
/// orders. A reservation moves units from the first to the second, a
/// release moves them back; neither ever goes below zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLevel {
    pub sku: String,
    pub available: u32,
    pub reserved: u32,
    #[serde(with = "timestamp")]
    pub updated_at: DateTime<Utc>,
}

/// One SKU's quantity in a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationLine {
    pub sku: String,
    pub quantity: u32,
}

/// The lines of an order as a reservation takes them: one per SKU (an
/// order that lists a SKU twice reserves the sum), sorted by SKU.
pub fn reservation_lines(items: &[OrderItem]) -> Vec<ReservationLine> {
    let mut by_sku: BTreeMap<&str, u32> = BTreeMap::new();
    for item in items {
        *by_sku.entry(&item.sku).or_default() += item.quantity;
    }
    by_sku
        .into_iter()
        .map(|(sku, quantity)| ReservationLine {
            sku: sku.to_string(),
            quantity,
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationStatus {
    Reserved,
    Released,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "RESERVED",
            Self::Released => "RELEASED",
        }
    }
}

impl FromStr for ReservationStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RESERVED" => Ok(Self::Reserved),
            "RELEASED" => Ok(Self::Released),
            other => Err(StoreError::Corrupt(format!(
                "unknown reservation status {other}"
            ))),
        }
    }
}

/// An order's hold on stock: written once, released at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub order_id: Uuid,
    pub lines: Vec<ReservationLine>,
    pub status: ReservationStatus,
    #[serde(with = "timestamp")]
    pub reserved_at: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_timestamp"
    )]
    pub released_at: Option<DateTime<Utc>>,
}

/// What a reservation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// Every line is held (now, or by an earlier call for this order: the
    /// stored reservation, unchanged, whatever its status).
    Reserved(Reservation),
    /// Nothing was reserved: these SKUs (sorted) have too little available
    /// stock or no stock record.
    OutOfStock { skus: Vec<String> },
    /// Nothing was reserved: the order is not PROCESSING, or its
    /// compensation has begun (the saga's fence).
    Fenced,
}

/// A stock file: `{"items": [{"sku": "laptop", "quantity": 25}, ...]}`
/// (`contracts/stock/seed.json`, what the local host seeds and
/// `orders-admin stock import` reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockFile {
    pub items: Vec<StockFileItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockFileItem {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum StockFileError {
    #[error("not a stock file: {0}")]
    Invalid(String),
    #[error("SKU {0} is listed twice")]
    Duplicate(String),
    #[error("a SKU must be 1 to 64 characters")]
    BadSku,
}

impl StockFile {
    pub fn parse(text: &str) -> Result<Self, StockFileError> {
        let file: StockFile =
            serde_json::from_str(text).map_err(|e| StockFileError::Invalid(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for item in &file.items {
            if item.sku.is_empty() || item.sku.chars().count() > 64 {
                return Err(StockFileError::BadSku);
            }
            if !seen.insert(item.sku.as_str()) {
                return Err(StockFileError::Duplicate(item.sku.clone()));
            }
        }
        Ok(file)
    }
}

mod opt_timestamp {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&crate::model::format_timestamp(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| {
                crate::model::parse_timestamp(&s)
                    .ok_or_else(|| serde::de::Error::custom("invalid timestamp"))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn lines_merge_per_sku() {
        let item = |sku: &str, quantity| OrderItem {
            sku: sku.into(),
            quantity,
            price: Decimal::ONE,
            line_total: Decimal::ONE,
        };
        let lines = reservation_lines(&[item("b", 1), item("a", 2), item("b", 3)]);
        assert_eq!(
            lines,
            vec![
                ReservationLine {
                    sku: "a".into(),
                    quantity: 2
                },
                ReservationLine {
                    sku: "b".into(),
                    quantity: 4
                },
            ]
        );
    }

    #[test]
    fn stock_files() {
        assert!(matches!(
            StockFile::parse(r#"{"items":[{"sku":"a","quantity":1},{"sku":"a","quantity":2}]}"#),
            Err(StockFileError::Duplicate(_))
        ));
        assert!(StockFile::parse(r#"{"items":[{"sku":"a","quantity":-1}]}"#).is_err());
        assert!(StockFile::parse(r#"{"items":[{"sku":"","quantity":1}]}"#).is_err());
    }
}
