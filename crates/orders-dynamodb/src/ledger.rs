//! The notifier's send ledger ([`NotificationLedger`]) in the orders table:
//! one item per (order, status), key `NOTIFICATION#<orderId>#<STATUS>` /
//! `NOTIFICATION` (docs/data-model.md).
//!
//! | attribute | |
//! | --- | --- |
//! | `state` | `SENDING` (a sender holds the lease), `SENT`, or `REFUSED` (the delivery service refused it for good) |
//! | `leaseUntil` | N, epoch milliseconds; removed once sent or refused |
//! | `sentAt` | RFC 3339 UTC, once sent |
//! | `channels` | L of S (`email`, `sms`, `log`), once sent |
//! | `refusedAt`, `errorCode` | RFC 3339 UTC and the service's error code, once refused |
//! | `orderId`, `orderStatus` | what the key says, for people reading the table |
//! | `expiresAt` | N, epoch seconds: the table's TTL, 90 days after the last write |
//!
//! A claim is one conditional `UpdateItem`:
//! `attribute_not_exists(pk) OR (#state = :sending AND leaseUntil < :now)`
//! (plus: a `SENDING` item without a lease is taken over too).
//! DynamoDB evaluates it and writes atomically per item, so of concurrent
//! claims exactly one succeeds; the others get the current item back
//! (`ReturnValuesOnConditionCheckFailure::ALL_OLD`) and tell `SENT` from a
//! live `SENDING` without a `GetItem`, which the notifier's role is not
//! allowed on these keys.

use crate::item::{get_s, notification_key};
use crate::{classify, DynamoStore};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::model::{format_timestamp, OrderStatus};
use orders_core::notification::Channel;
use orders_core::ports::{Claim, NotificationLedger};
use std::time::Duration;
use uuid::Uuid;

/// `state` while a sender holds the entry.
pub const SENDING: &str = "SENDING";
/// `state` once the notification went out.
pub const SENT: &str = "SENT";
/// `state` once the delivery service refused the notification for good.
pub const REFUSED: &str = "REFUSED";
/// How long a ledger item is kept after its last write (`expiresAt`, TTL):
/// far longer than any redelivery of an event (SQS keeps a message at most
/// 14 days).
pub const LEDGER_RETENTION: Duration = Duration::from_secs(90 * 24 * 60 * 60);

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn expires_at(now: DateTime<Utc>) -> i64 {
    now.timestamp()
        .saturating_add(i64::try_from(LEDGER_RETENTION.as_secs()).unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl NotificationLedger for DynamoStore {
    async fn claim(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let now_ms = now.timestamp_millis();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(notification_key(order_id, status)))
            .update_expression(
                "SET #state = :sending, leaseUntil = :lease, orderId = :order, \
                 orderStatus = :status, expiresAt = :expires",
            )
            // A SENDING item always has a lease; one without (written by
            // hand) is taken over rather than blocking the entry for ever.
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :sending AND \
                 (leaseUntil < :now OR attribute_not_exists(leaseUntil)))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":lease", n(now_ms.saturating_add(millis(lease))))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":order", s(order_id.to_string()))
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":expires", n(expires_at(now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => {
                tracing::debug!(order_id = %order_id, status = %status, "notification claimed");
                return Ok(Claim::Claimed);
            }
            Err(e) => e,
        };
        let Some(UpdateItemError::ConditionalCheckFailedException(failed)) = err.as_service_error()
        else {
            return Err(classify("UpdateItem", &err));
        };
        let Some(current) = failed.item().filter(|it| !it.is_empty()) else {
            // The condition failed on an item, so there is one; a server
            // that does not return it cannot tell SENT from SENDING.
            return Err(StoreError::Other(
                "ledger claim refused without the current item (ALL_OLD unsupported?)".into(),
            ));
        };
        let claim = match get_s(current, "state")? {
            SENT => Claim::AlreadySent,
            REFUSED => Claim::Refused,
            // The condition failed, so the lease is live.
            SENDING => Claim::InFlight,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "notification ledger state {other:?}"
                )))
            }
        };
        tracing::debug!(order_id = %order_id, status = %status, ?claim, "notification not claimed");
        Ok(claim)
    }

    async fn complete(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        channels: &[Channel],
    ) -> Result<(), StoreError> {
        let channels = channels.iter().map(|c| s(c.as_str())).collect();
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(notification_key(order_id, status)))
            .update_expression(
                "SET #state = :sent, sentAt = :at, channels = :channels, orderId = :order, \
                 orderStatus = :status, expiresAt = :expires REMOVE leaseUntil",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":at", s(format_timestamp(now)))
            .expression_attribute_values(":channels", AttributeValue::L(channels))
            .expression_attribute_values(":order", s(order_id.to_string()))
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":expires", n(expires_at(now)))
            .send()
            .await
            .map_err(|e| classify("UpdateItem", &e))?;
        tracing::debug!(order_id = %order_id, status = %status, "notification marked sent");
        Ok(())
    }

    async fn refuse(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        code: &str,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(notification_key(order_id, status)))
            .update_expression(
                "SET #state = :refused, refusedAt = :at, errorCode = :code, orderId = :order, \
                 orderStatus = :status, expiresAt = :expires REMOVE leaseUntil",
            )
            // What the customer got wins over a late sender's refusal.
            .condition_expression("attribute_not_exists(pk) OR #state <> :sent")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":refused", s(REFUSED))
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":at", s(format_timestamp(now)))
            .expression_attribute_values(":code", s(code))
            .expression_attribute_values(":order", s(order_id.to_string()))
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":expires", n(expires_at(now)))
            .send()
            .await;
        match result {
            Ok(_) => {
                tracing::debug!(order_id = %order_id, status = %status, "notification marked refused");
                Ok(())
            }
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                tracing::info!(order_id = %order_id, status = %status, "notification already sent: the refusal is not recorded");
                Ok(())
            }
            Err(e) => Err(classify("UpdateItem", &e)),
        }
    }
}
