//! The local host's notifier, the stand-in for SES e-mail and SNS text
//! messages: "sending" a notification means recording it in the
//! `sent_notifications` table (and logging it, addresses masked), so a
//! developer or an end-to-end test can see exactly what a customer would
//! have received, through [`list_sent_notifications`].
//!
//! # Sent once per (order, status), with the ledger completed once
//!
//! The notify use case (`orders_core::usecases::notify_status_changed`)
//! claims (order, status) in the send ledger, calls [`Notifier::send`], and
//! completes the ledger: the one place that does, here as on AWS. A sender
//! that dies between the send and the ledger write leaves a claim whose
//! lease runs out, and the next delivery sends again. On AWS that is the one
//! window for a duplicate e-mail; here the send itself is idempotent per
//! (order, status): a notification already recorded for its (order, status)
//! is not recorded (or logged) again, and the channels it went out on are
//! returned, so the retry completes the ledger and the customer's record
//! holds the notification once.
//!
//! # Refusals, as SES gives them
//!
//! An e-mail address on the `.invalid` top-level domain (RFC 2606: never
//! deliverable) is refused for good with SES's `MessageRejected`, so the
//! local host shows the path a refusal takes on AWS: the SMS (if any) still
//! goes out; with nothing sent, the notify use case records the refusal in
//! the ledger (`REFUSED`), logs a WARN, counts `NotificationsRefused`, and the
//! handler succeeds (the message is not retried).

use chrono::{DateTime, TimeZone, Utc};
use orders_core::error::{DeliveryError, StoreError};
use orders_core::model::OrderStatus;
use orders_core::notification::{Channel, EmailMessage, Notification, SmsMessage};
use orders_core::ports::Notifier;
use orders_notifications::log_notification;
use orders_sqlite::ledger::{channels_text, parse_channels};
use orders_sqlite::{now_epoch_millis, SqliteStore};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use uuid::Uuid;

/// A notification the local host recorded as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentNotification {
    /// Increases with every recorded notification.
    pub seq: i64,
    pub order_id: Uuid,
    pub status: OrderStatus,
    /// The channels the notification went out on (see [`channels_of`]).
    pub channels: Vec<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsMessage>,
    #[serde(with = "orders_core::model::timestamp")]
    pub sent_at: DateTime<Utc>,
}

/// The channels a notification carries: e-mail if it has one, SMS if it has
/// one, otherwise the log.
pub fn channels_of(n: &Notification) -> Vec<Channel> {
    let mut channels = Vec::with_capacity(2);
    if n.email.is_some() {
        channels.push(Channel::Email);
    }
    if n.sms.is_some() {
        channels.push(Channel::Sms);
    }
    if channels.is_empty() {
        channels.push(Channel::Log);
    }
    channels
}

/// [`Notifier`] for the local host: records each notification in the store
/// (one row per (order, status)) and logs it with the addresses masked.
#[derive(Debug, Clone)]
pub struct RecordingNotifier {
    store: SqliteStore,
}

impl RecordingNotifier {
    pub fn new(store: SqliteStore) -> Self {
        Self { store }
    }
}

/// The domain the local notifier refuses e-mail to (see the module docs).
pub const UNDELIVERABLE_DOMAIN: &str = ".invalid";

/// The code the local notifier refuses such an e-mail with (SES v2's).
pub const REFUSAL_CODE: &str = "MessageRejected";

/// Whether SES would take mail for `address` here: not on `.invalid`.
fn deliverable(address: &str) -> bool {
    !address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain.to_ascii_lowercase().ends_with(UNDELIVERABLE_DOMAIN))
}

#[async_trait::async_trait]
impl Notifier for RecordingNotifier {
    async fn send(&self, n: &Notification) -> Result<Vec<Channel>, DeliveryError> {
        let refused = n.email.as_ref().is_some_and(|e| !deliverable(&e.to));
        let kept;
        let n = if refused {
            tracing::warn!(order_id = %n.order_id, status = %n.status, channel = "email",
                error_code = REFUSAL_CODE, refusal = "message",
                "notification channel refused for good (local: an address on .invalid)");
            if n.sms.is_none() {
                return Err(DeliveryError::rejected(
                    REFUSAL_CODE,
                    "email: SendEmail: refused (MessageRejected): the domain takes no mail",
                ));
            }
            kept = Notification {
                email: None,
                ..n.clone()
            };
            &kept
        } else {
            n
        };
        let channels = channels_of(n);
        let (order_id, status) = (n.order_id.to_string(), n.status);
        let (email, sms) = (n.email.clone(), n.sms.clone());
        let text = channels_text(&channels);
        // Check and insert under the write lock (IMMEDIATE), so that of two
        // senders, even in two processes, one records.
        let earlier: Option<String> = self
            .store
            .with_writer(move |c| {
                let tx = c.savepoint()?;
                let earlier = tx
                    .prepare_cached(
                        "SELECT channels FROM sent_notifications \
                         WHERE order_id = ?1 AND status = ?2 ORDER BY seq LIMIT 1",
                    )?
                    .query_row(params![order_id, status.as_str()], |r| r.get(0))
                    .optional()?;
                if earlier.is_none() {
                    tx.prepare_cached(
                        "INSERT INTO sent_notifications (order_id, status, channels, email_to, \
                         email_subject, email_body, sms_to, sms_text, sent_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        order_id,
                        status.as_str(),
                        text,
                        email.as_ref().map(|e| &e.to),
                        email.as_ref().map(|e| &e.subject),
                        email.as_ref().map(|e| &e.body),
                        sms.as_ref().map(|s| &s.to),
                        sms.as_ref().map(|s| &s.text),
                        now_epoch_millis()
                    ])?;
                    tx.commit()?;
                }
                Ok(earlier)
            })
            .await
            .map_err(|e| DeliveryError::Unavailable(format!("recording the notification: {e}")))?;
        match earlier {
            None => {
                log_notification(n);
                Ok(channels)
            }
            Some(text) => {
                tracing::info!(order_id = %n.order_id, status = %n.status,
                    "notification already recorded for this status: not sent again");
                parse_channels(&text).map_err(|e| {
                    DeliveryError::Unavailable(format!("reading the recorded notification: {e}"))
                })
            }
        }
    }
}

type SentRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn decode(row: SentRow) -> Result<SentNotification, StoreError> {
    let (seq, order_id, status, channels, email_to, subject, body, sms_to, sms_text, sent_at) = row;
    let corrupt = |what: &str| StoreError::Corrupt(format!("sent notification {seq}: {what}"));
    Ok(SentNotification {
        seq,
        order_id: Uuid::try_parse(&order_id).map_err(|_| corrupt("order id"))?,
        status: status.parse().map_err(|_| corrupt("status"))?,
        channels: parse_channels(&channels)?,
        email: email_to.map(|to| EmailMessage {
            to,
            subject: subject.unwrap_or_default(),
            body: body.unwrap_or_default(),
        }),
        sms: sms_to.map(|to| SmsMessage {
            to,
            text: sms_text.unwrap_or_default(),
        }),
        sent_at: Utc
            .timestamp_millis_opt(sent_at)
            .single()
            .ok_or_else(|| corrupt("sent_at"))?,
    })
}

/// The latest `limit` notifications recorded on `store` (of `order_id`, or of
/// every order), oldest first.
pub async fn list_sent_notifications(
    store: &SqliteStore,
    order_id: Option<Uuid>,
    limit: usize,
) -> Result<Vec<SentNotification>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<SentRow> = store
        .with_reader(move |c| {
            let columns = "seq, order_id, status, channels, email_to, email_subject, \
                               email_body, sms_to, sms_text, sent_at";
            let read = |r: &rusqlite::Row<'_>| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            };
            match order_id {
                Some(id) => c
                    .prepare_cached(&format!(
                        "SELECT {columns} FROM sent_notifications WHERE order_id = ?1 \
                             ORDER BY seq DESC LIMIT ?2"
                    ))?
                    .query_map(params![id.to_string(), limit], read)?
                    .collect(),
                None => c
                    .prepare_cached(&format!(
                        "SELECT {columns} FROM sent_notifications ORDER BY seq DESC LIMIT ?1"
                    ))?
                    .query_map([limit], read)?
                    .collect(),
            }
        })
        .await?;
    let mut out = rows
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    out.reverse();
    Ok(out)
}
