//! Idempotency of `POST /orders`: what a key may look like and what is kept
//! for a key so a retry gets the first response back.

use crate::error::OrdersError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 128;
/// How long a key is remembered.
pub const TTL_SECONDS: i64 = 24 * 60 * 60;

/// Checks a key: 1 to 128 visible ASCII characters.
pub fn validate_key(key: &str) -> Result<&str, OrdersError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(OrdersError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} characters"),
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(OrdersError::invalid(
            "Idempotency-Key",
            "must contain only visible ASCII characters",
        ));
    }
    Ok(key)
}

/// What is stored for a key: the request's fingerprint and the first
/// response, until `expires_at` (epoch seconds; the DynamoDB TTL attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    pub key: String,
    pub request_hash: String,
    pub order_id: Uuid,
    pub status_code: u16,
    pub response_body: String,
    pub expires_at: i64,
}

impl IdempotencyRecord {
    pub fn new(
        key: &str,
        request_hash: String,
        order_id: Uuid,
        status_code: u16,
        response_body: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            key: key.to_string(),
            request_hash,
            order_id,
            status_code,
            response_body,
            expires_at: now.timestamp() + TTL_SECONDS,
        }
    }

    /// TTL deletion is lazy: an expired record counts as absent.
    pub fn is_expired(&self, now_epoch_seconds: i64) -> bool {
        self.expires_at <= now_epoch_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(validate_key("abc-123_XYZ:1").is_ok());
        assert!(validate_key(&"k".repeat(128)).is_ok());
        assert!(validate_key(&"k".repeat(129)).is_err());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key("é").is_err());
    }

    #[test]
    fn expiry() {
        let now = crate::model::parse_timestamp("2026-11-22T02:01:33.123Z").unwrap();
        let r = IdempotencyRecord::new("k", "h".into(), Uuid::now_v7(), 201, "{}".into(), now);
        assert_eq!(r.expires_at, 1_795_312_893 + 86_400);
        assert!(!r.is_expired(now.timestamp()));
        assert!(r.is_expired(now.timestamp() + 86_400));
    }
}
