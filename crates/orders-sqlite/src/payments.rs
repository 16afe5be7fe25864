//! The saga's payment records on SQLite: [`PaymentLedger`] on the
//! `payments` table (one row per order: the payment as a JSON document, its
//! status and creation time as columns) and [`AttemptCounter`] on
//! `payment_attempts`. Each write is one IMMEDIATE transaction on the writer
//! connection, so of concurrent charges of one order the first intent wins
//! (and only while the order's fence allows it, checked in the same
//! transaction), and the first answer recorded for it wins, as with the
//! conditional writes on DynamoDB.

use crate::orders::accepts_saga_progress;
use crate::{blocking, map_err, SqliteStore};
use async_trait::async_trait;
use orders_core::error::StoreError;
use orders_core::payments::{ChargeStart, Payment, PaymentStatus, Refund};
use orders_core::ports::{AttemptCounter, PaymentLedger};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

fn encode(payment: &Payment) -> Result<String, StoreError> {
    serde_json::to_string(payment)
        .map_err(|e| StoreError::Other(format!("payment does not serialize: {e}")))
}

fn decode(doc: &str) -> Result<Payment, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("payment document: {e}")))
}

fn get(conn: &Connection, order_id: &str) -> Result<Option<Payment>, StoreError> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM payments WHERE order_id = ?1")
        .and_then(|mut s| s.query_row([order_id], |r| r.get(0)).optional())
        .map_err(map_err)?;
    doc.as_deref().map(decode).transpose()
}

/// Inserts the charge intent unless the order has a payment, and only while
/// the order accepts saga progress (the fence), in one transaction.
fn begin_charge(conn: &mut Connection, intent: &Payment) -> Result<ChargeStart, StoreError> {
    if intent.status != PaymentStatus::Charging {
        return Err(StoreError::Other(
            "a charge begins with a CHARGING intent".into(),
        ));
    }
    let order_id = intent.order_id.to_string();
    let doc = encode(intent)?;
    let tx = conn.savepoint().map_err(map_err)?;
    if let Some(existing) = get(&tx, &order_id)? {
        return Ok(ChargeStart::Exists(existing));
    }
    if !accepts_saga_progress(&tx, intent.order_id)? {
        return Ok(ChargeStart::Fenced);
    }
    tx.prepare_cached(
        "INSERT INTO payments (order_id, status, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| {
        s.execute(params![
            order_id,
            intent.status.as_str(),
            intent.created_at.timestamp_millis(),
            doc
        ])
    })
    .map_err(map_err)?;
    // Read back: timestamps as stored (milliseconds).
    let stored = get(&tx, &order_id)?
        .ok_or_else(|| StoreError::Other(format!("payment of {order_id} vanished")))?;
    tx.commit().map_err(map_err)?;
    Ok(ChargeStart::Begun(stored))
}

/// Moves the order's CHARGING payment to `payment` (CHARGED, DECLINED or
/// VOIDED); a payment no longer CHARGING is returned as stored.
fn record_charge(conn: &mut Connection, payment: &Payment) -> Result<Payment, StoreError> {
    if !matches!(
        payment.status,
        PaymentStatus::Charged | PaymentStatus::Declined | PaymentStatus::Voided
    ) {
        return Err(StoreError::Other(
            "a charge is answered CHARGED, DECLINED or VOIDED".into(),
        ));
    }
    let order_id = payment.order_id.to_string();
    let doc = encode(payment)?;
    let tx = conn.savepoint().map_err(map_err)?;
    tx.prepare_cached(
        "UPDATE payments SET status = ?2, doc = ?3 WHERE order_id = ?1 AND status = 'CHARGING'",
    )
    .and_then(|mut s| s.execute(params![order_id, payment.status.as_str(), doc]))
    .map_err(map_err)?;
    let stored = get(&tx, &order_id)?
        .ok_or_else(|| StoreError::Other(format!("payment of {order_id} is not recorded")))?;
    tx.commit().map_err(map_err)?;
    Ok(stored)
}

/// Marks the order's CHARGED payment REFUNDED with `refund`; anything else
/// is returned as stored.
fn record_refund(
    conn: &mut Connection,
    order_id: Uuid,
    refund: &Refund,
) -> Result<Option<Payment>, StoreError> {
    let order_id = order_id.to_string();
    let tx = conn.savepoint().map_err(map_err)?;
    let Some(mut payment) = get(&tx, &order_id)? else {
        return Ok(None);
    };
    if payment.status != PaymentStatus::Charged {
        return Ok(Some(payment));
    }
    payment.status = PaymentStatus::Refunded;
    payment.refund = Some(refund.clone());
    let doc = encode(&payment)?;
    tx.prepare_cached(
        "UPDATE payments SET status = ?2, doc = ?3 WHERE order_id = ?1 AND status = 'CHARGED'",
    )
    .and_then(|mut s| s.execute(params![order_id, payment.status.as_str(), doc]))
    .map_err(map_err)?;
    let stored = get(&tx, &order_id)?
        .ok_or_else(|| StoreError::Other(format!("payment of {order_id} vanished")))?;
    tx.commit().map_err(map_err)?;
    Ok(Some(stored))
}

#[async_trait]
impl PaymentLedger for SqliteStore {
    async fn get_payment(&self, order_id: Uuid) -> Result<Option<Payment>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || inner.read(|c| get(c, &order_id.to_string()))).await
    }

    async fn begin_charge(&self, intent: &Payment) -> Result<ChargeStart, StoreError> {
        let intent = intent.clone();
        self.with_writer_store(move |c| begin_charge(c, &intent))
            .await
    }

    async fn record_charge(&self, payment: &Payment) -> Result<Payment, StoreError> {
        let payment = payment.clone();
        self.with_writer_store(move |c| record_charge(c, &payment))
            .await
    }

    async fn record_refund(
        &self,
        order_id: Uuid,
        refund: &Refund,
    ) -> Result<Option<Payment>, StoreError> {
        let refund = refund.clone();
        self.with_writer_store(move |c| record_refund(c, order_id, &refund))
            .await
    }
}

#[async_trait]
impl AttemptCounter for SqliteStore {
    async fn count_attempt(&self, key: &str) -> Result<Option<u32>, StoreError> {
        let key = key.to_string();
        self.with_writer_store(move |c| {
            let n: Option<i64> = c
                .prepare_cached(
                    "INSERT INTO payment_attempts (key, attempts) VALUES (?1, 1) \
                     ON CONFLICT (key) DO UPDATE SET attempts = attempts + 1 WHERE voided = 0 \
                     RETURNING attempts",
                )
                .and_then(|mut s| s.query_row([&key], |r| r.get(0)).optional())
                .map_err(map_err)?;
            n.map(|n| {
                u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("attempt count {n}")))
            })
            .transpose()
        })
        .await
    }

    async fn void_key(&self, key: &str) -> Result<u32, StoreError> {
        let key = key.to_string();
        self.with_writer_store(move |c| {
            let n: i64 = c
                .prepare_cached(
                    "INSERT INTO payment_attempts (key, attempts, voided) VALUES (?1, 0, 1) \
                     ON CONFLICT (key) DO UPDATE SET voided = 1 \
                     RETURNING attempts",
                )
                .and_then(|mut s| s.query_row([&key], |r| r.get(0)))
                .map_err(map_err)?;
            u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("attempt count {n}")))
        })
        .await
    }
}

impl SqliteStore {
    /// The newest `limit` payments, newest first (the local host's
    /// inspection page).
    pub async fn list_payments(&self, limit: usize) -> Result<Vec<Payment>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || {
            inner.read(|c| {
                let docs = c
                    .prepare_cached(
                        "SELECT doc FROM payments ORDER BY created_at DESC, order_id DESC LIMIT ?1",
                    )
                    .and_then(|mut s| {
                        s.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                            r.get::<_, String>(0)
                        })?
                        .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .map_err(map_err)?;
                docs.iter().map(|d| decode(d)).collect()
            })
        })
        .await
    }
}
