//! The notifier's send ledger ([`NotificationLedger`]) on the
//! `notification_ledger` table: one row per (order, status), `SENDING` while
//! a sender holds its lease, `SENT` once the notification went out, `REFUSED`
//! once the delivery service refused it for good (with its `error_code`). Each call
//! is one write transaction on the writer connection, so of concurrent
//! claims of one (order, status) exactly one is [`Claim::Claimed`], as with
//! the conditional write on DynamoDB (docs/data-model.md).
//!
//! Entries are completed by the notify use case (`NotificationLedger::complete`
//! after the notifier returned), and by nothing else: the local notifier
//! (`orders-local-aws`) keeps its own record of what it sent.

use crate::{map_err, SqliteStore};
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::model::OrderStatus;
use orders_core::notification::Channel;
use orders_core::ports::{Claim, NotificationLedger};
use rusqlite::{params, Connection, OptionalExtension};
use std::time::Duration;
use uuid::Uuid;

/// A sender holds the entry until `lease_until`.
pub const SENDING: &str = "SENDING";
/// The notification went out; nothing is sent again.
pub const SENT: &str = "SENT";
/// The delivery service refused it for good; nothing is sent again.
pub const REFUSED: &str = "REFUSED";

/// `email,sms`: the stored form of a channel list (in the ledger, and in the
/// local record of sent notifications).
pub fn channels_text(channels: &[Channel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The inverse of [`channels_text`].
pub fn parse_channels(text: &str) -> Result<Vec<Channel>, StoreError> {
    text.split(',')
        .filter(|c| !c.is_empty())
        .map(|c| match c {
            "email" => Ok(Channel::Email),
            "sms" => Ok(Channel::Sms),
            "log" => Ok(Channel::Log),
            other => Err(StoreError::Corrupt(format!("unknown channel {other:?}"))),
        })
        .collect()
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> i64 {
    now.timestamp_millis()
        .saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
}

/// Claim, in one transaction: no row, or `SENDING` with a lease that ended
/// before `now`, is taken (`SENDING` until `now + lease`); `SENT` and a live
/// `SENDING` are left alone.
fn claim_on(
    conn: &mut Connection,
    order_id: &str,
    status: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Claim, StoreError> {
    let tx = conn.savepoint().map_err(map_err)?;
    let current: Option<(String, Option<i64>)> = tx
        .prepare_cached(
            "SELECT state, lease_until FROM notification_ledger WHERE order_id = ?1 AND status = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![order_id, status], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(map_err)?;
    let now_ms = now.timestamp_millis();
    match current {
        None => {}
        Some((state, _)) if state == SENT => return Ok(Claim::AlreadySent),
        Some((state, _)) if state == REFUSED => return Ok(Claim::Refused),
        // A live lease; the negation of DynamoDB's `leaseUntil < :now`.
        Some((state, Some(until))) if state == SENDING && until >= now_ms => {
            return Ok(Claim::InFlight)
        }
        // Its lease ended (or it has none): taken over below.
        Some((state, _)) if state == SENDING => {}
        Some((state, _)) => {
            return Err(StoreError::Corrupt(format!(
                "notification ledger state {state:?}"
            )))
        }
    }
    tx.prepare_cached(
        "INSERT INTO notification_ledger (order_id, status, state, lease_until) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (order_id, status) DO UPDATE SET state = ?3, lease_until = ?4",
    )
    .and_then(|mut s| s.execute(params![order_id, status, SENDING, lease_end(now, lease)]))
    .map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(Claim::Claimed)
}

fn complete_on(
    conn: &Connection,
    order_id: &str,
    status: &str,
    now: DateTime<Utc>,
    channels: &[Channel],
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO notification_ledger (order_id, status, state, sent_at, channels) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (order_id, status) DO UPDATE \
         SET state = ?3, lease_until = NULL, sent_at = ?4, channels = ?5",
    )
    .and_then(|mut s| {
        s.execute(params![
            order_id,
            status,
            SENT,
            now.timestamp_millis(),
            channels_text(channels)
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

/// A sent entry stays sent (the `WHERE` of the upsert), as DynamoDB's
/// condition keeps it.
fn refuse_on(
    conn: &Connection,
    order_id: &str,
    status: &str,
    now: DateTime<Utc>,
    code: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO notification_ledger (order_id, status, state, refused_at, error_code) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (order_id, status) DO UPDATE \
         SET state = ?3, lease_until = NULL, refused_at = ?4, error_code = ?5 \
         WHERE state <> ?6",
    )
    .and_then(|mut s| {
        s.execute(params![
            order_id,
            status,
            REFUSED,
            now.timestamp_millis(),
            code,
            SENT
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl NotificationLedger for SqliteStore {
    async fn claim(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let order_id = order_id.to_string();
        self.with_writer_store(move |c| claim_on(c, &order_id, status.as_str(), now, lease))
            .await
    }

    async fn complete(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        channels: &[Channel],
    ) -> Result<(), StoreError> {
        let order_id = order_id.to_string();
        let channels = channels.to_vec();
        self.with_writer_store(move |c| complete_on(c, &order_id, status.as_str(), now, &channels))
            .await
    }

    async fn refuse(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        code: &str,
    ) -> Result<(), StoreError> {
        let order_id = order_id.to_string();
        let code = code.to_string();
        self.with_writer_store(move |c| refuse_on(c, &order_id, status.as_str(), now, &code))
            .await
    }
}

/// One row of the ledger, for tests and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub order_id: Uuid,
    pub status: OrderStatus,
    /// [`SENDING`], [`SENT`] or [`REFUSED`].
    pub state: String,
    /// Epoch milliseconds; `None` once sent.
    pub lease_until_ms: Option<i64>,
    /// Epoch milliseconds.
    pub sent_at_ms: Option<i64>,
    pub channels: Vec<Channel>,
    /// Epoch milliseconds, once refused.
    pub refused_at_ms: Option<i64>,
    /// The delivery service's error code, once refused.
    pub error_code: Option<String>,
}

impl SqliteStore {
    /// The ledger entry of (order, status), if any.
    pub async fn ledger_entry(
        &self,
        order_id: Uuid,
        status: OrderStatus,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        type Row = (
            String,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let row: Option<Row> = self
            .with_reader(move |c| {
                c.prepare_cached(
                    "SELECT state, lease_until, sent_at, channels, refused_at, error_code \
                     FROM notification_ledger WHERE order_id = ?1 AND status = ?2",
                )?
                .query_row(params![order_id.to_string(), status.as_str()], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })
                .optional()
            })
            .await?;
        row.map(
            |(state, lease_until_ms, sent_at_ms, channels, refused_at_ms, error_code)| {
                Ok(LedgerEntry {
                    order_id,
                    status,
                    state,
                    lease_until_ms,
                    sent_at_ms,
                    channels: parse_channels(channels.as_deref().unwrap_or_default())?,
                    refused_at_ms,
                    error_code,
                })
            },
        )
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_lists_round_trip() {
        for list in [
            vec![],
            vec![Channel::Log],
            vec![Channel::Email, Channel::Sms],
        ] {
            assert_eq!(parse_channels(&channels_text(&list)).unwrap(), list);
        }
        assert!(parse_channels("pigeon").is_err());
    }
}
