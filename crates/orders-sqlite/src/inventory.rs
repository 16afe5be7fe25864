//! Stock and reservations on SQLite: [`Inventory`] on the `stock` and
//! `reservations` tables (`StockAdmin` is in [`crate::stock`]).
//!
//! A reservation is one IMMEDIATE transaction: an existing reservation of
//! the order is the answer; otherwise every line is checked against its
//! SKU's `available` first, and only if all are covered are the stock rows
//! and the reservation written, so it is all or nothing. The transaction
//! holds SQLite's write lock from its first statement, and this process's
//! writers queue on the writer mutex, so of concurrent reservations of the
//! last units exactly one succeeds (the DynamoDB adapter gets the same from
//! `TransactWriteItems` conditions). The `CHECK (available >= 0)` on the
//! table is a second line of defence, not the mechanism.

use crate::orders::accepts_saga_progress;
use crate::{blocking, map_err, SqliteStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::inventory::{
    Reservation, ReservationLine, ReservationStatus, ReserveOutcome, StockLevel,
};
use orders_core::ports::Inventory;
use rusqlite::{params, Connection, OptionalExtension, Savepoint};
use uuid::Uuid;

fn time(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| StoreError::Corrupt(format!("time {ms}")))
}

fn count(n: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} {n}")))
}

pub(crate) const STOCK_COLUMNS: &str = "sku, available, reserved, updated_at";

pub(crate) fn stock_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, i64, i64, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

pub(crate) fn stock_level(
    (sku, available, reserved, at): (String, i64, i64, i64),
) -> Result<StockLevel, StoreError> {
    Ok(StockLevel {
        sku,
        available: count(available, "available")?,
        reserved: count(reserved, "reserved")?,
        updated_at: time(at)?,
    })
}

pub(crate) fn get_stock(conn: &Connection, sku: &str) -> Result<Option<StockLevel>, StoreError> {
    conn.prepare_cached(&format!("SELECT {STOCK_COLUMNS} FROM stock WHERE sku = ?1"))
        .and_then(|mut s| s.query_row([sku], stock_row).optional())
        .map_err(map_err)?
        .map(stock_level)
        .transpose()
}

const RESERVATION_COLUMNS: &str = "order_id, status, lines, reserved_at, released_at";

type ReservationRow = (String, String, String, i64, Option<i64>);

fn reservation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReservationRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn reservation(
    (order_id, status, lines, at, released): ReservationRow,
) -> Result<Reservation, StoreError> {
    Ok(Reservation {
        order_id: Uuid::try_parse(&order_id)
            .map_err(|e| StoreError::Corrupt(format!("reservation order id: {e}")))?,
        status: status.parse()?,
        lines: serde_json::from_str(&lines)
            .map_err(|e| StoreError::Corrupt(format!("reservation lines: {e}")))?,
        reserved_at: time(at)?,
        released_at: released.map(time).transpose()?,
    })
}

fn get_reservation(conn: &Connection, order_id: Uuid) -> Result<Option<Reservation>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE order_id = ?1"
    ))
    .and_then(|mut s| {
        s.query_row([order_id.to_string()], reservation_row)
            .optional()
    })
    .map_err(map_err)?
    .map(reservation)
    .transpose()
}

/// Moves `quantity` of each line from `available` to `reserved` (`sign` 1)
/// or back (`sign` -1), inside the caller's transaction.
fn move_units(
    tx: &Savepoint<'_>,
    lines: &[ReservationLine],
    sign: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = tx
        .prepare_cached(
            "UPDATE stock SET available = available - ?2, reserved = reserved + ?2, \
             updated_at = ?3 WHERE sku = ?1",
        )
        .map_err(map_err)?;
    for line in lines {
        let q = sign * i64::from(line.quantity);
        let n = update
            .execute(params![line.sku, q, at.timestamp_millis()])
            .map_err(map_err)?;
        if n != 1 {
            return Err(StoreError::Other(format!(
                "no stock record for {}",
                line.sku
            )));
        }
    }
    Ok(())
}

fn reserve(
    conn: &mut Connection,
    order_id: Uuid,
    lines: &[ReservationLine],
    at: DateTime<Utc>,
) -> Result<ReserveOutcome, StoreError> {
    let tx = conn.savepoint().map_err(map_err)?;
    if let Some(existing) = get_reservation(&tx, order_id)? {
        return Ok(ReserveOutcome::Reserved(existing));
    }
    if !accepts_saga_progress(&tx, order_id)? {
        return Ok(ReserveOutcome::Fenced);
    }
    let mut short = Vec::new();
    for line in lines {
        match get_stock(&tx, &line.sku)? {
            Some(level) if level.available >= line.quantity => {}
            _ => short.push(line.sku.clone()),
        }
    }
    if !short.is_empty() {
        short.sort();
        short.dedup();
        return Ok(ReserveOutcome::OutOfStock { skus: short });
    }
    move_units(&tx, lines, 1, at)?;
    let lines_json = serde_json::to_string(lines)
        .map_err(|e| StoreError::Other(format!("lines do not serialize: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO reservations (order_id, status, lines, reserved_at) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| {
        s.execute(params![
            order_id.to_string(),
            ReservationStatus::Reserved.as_str(),
            lines_json,
            at.timestamp_millis()
        ])
    })
    .map_err(map_err)?;
    let stored = get_reservation(&tx, order_id)?
        .ok_or_else(|| StoreError::Other(format!("reservation of {order_id} vanished")))?;
    tx.commit().map_err(map_err)?;
    Ok(ReserveOutcome::Reserved(stored))
}

fn release(
    conn: &mut Connection,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Reservation>, StoreError> {
    let tx = conn.savepoint().map_err(map_err)?;
    let Some(held) = get_reservation(&tx, order_id)? else {
        return Ok(None);
    };
    if held.status == ReservationStatus::Released {
        return Ok(Some(held));
    }
    move_units(&tx, &held.lines, -1, at)?;
    tx.prepare_cached(
        "UPDATE reservations SET status = ?2, released_at = ?3 \
         WHERE order_id = ?1 AND status = 'RESERVED'",
    )
    .and_then(|mut s| {
        s.execute(params![
            order_id.to_string(),
            ReservationStatus::Released.as_str(),
            at.timestamp_millis()
        ])
    })
    .map_err(map_err)?;
    let stored = get_reservation(&tx, order_id)?;
    tx.commit().map_err(map_err)?;
    Ok(stored)
}

#[async_trait]
impl Inventory for SqliteStore {
    async fn reserve(
        &self,
        order_id: Uuid,
        lines: &[ReservationLine],
        at: DateTime<Utc>,
    ) -> Result<ReserveOutcome, StoreError> {
        let lines = lines.to_vec();
        self.with_writer_store(move |c| reserve(c, order_id, &lines, at))
            .await
    }

    async fn release(
        &self,
        order_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError> {
        self.with_writer_store(move |c| release(c, order_id, at))
            .await
    }

    async fn get_reservation(&self, order_id: Uuid) -> Result<Option<Reservation>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || inner.read(|c| get_reservation(c, order_id))).await
    }
}

impl SqliteStore {
    /// Reservations, newest first, at most `limit`: of one order, or of all
    /// (the local host's inspection page).
    pub async fn list_reservations(
        &self,
        order_id: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Reservation>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || {
            inner.read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {RESERVATION_COLUMNS} FROM reservations \
                     WHERE ?1 IS NULL OR order_id = ?1 \
                     ORDER BY reserved_at DESC, order_id DESC LIMIT ?2"
                ))
                .and_then(|mut s| {
                    s.query_map(
                        params![
                            order_id.map(|id| id.to_string()),
                            i64::try_from(limit).unwrap_or(i64::MAX)
                        ],
                        reservation_row,
                    )?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
                .map_err(map_err)?
                .into_iter()
                .map(reservation)
                .collect()
            })
        })
        .await
    }
}
