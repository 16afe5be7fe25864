//! The store's schema, one versioned migration (`PRAGMA user_version`),
//! run forward on open in one transaction. The local stand-ins for AWS
//! services that share the file own their tables (`orders-local-aws`:
//! `queue_messages`, `sent_notifications`; `orders-local-sfn`:
//! `sfn_executions`, `sfn_history`) and their schema steps ([`Migration`]):
//! whoever opens the file passes them, and they run in the same
//! transaction, after the store's, each versioned on its own
//! (`schema_versions`) so a stand-in can change its tables without a step
//! of the store's (docs/data-model.md, "The embedded store").

use crate::orders::{decode_order, Contacts};
use crate::{map_err, outbox};
use orders_core::error::StoreError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// The schema version this crate creates and reads (`PRAGMA user_version`).
/// 1: orders and idempotency records. 2: the event outbox and the queues.
/// 3: the customer's phone, the notification ledger and the local record of
/// sent notifications. 4: payments, payment attempts, stock and
/// reservations (the saga's stores). 5: nothing of the store's (it created
/// the local executor's tables, which `orders-local-sfn` now creates). 6: the saga's fence on the order,
/// charge intents and voided payments, voided provider keys. 7: the
/// ledger's `REFUSED` state (a notification the delivery service refused for
/// good) with its time and error code.
pub const SCHEMA_VERSION: i64 = 7;

const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS orders (
    order_id       TEXT PRIMARY KEY NOT NULL,
    status         TEXT NOT NULL,
    sort_key       TEXT NOT NULL,
    customer_email TEXT,
    doc            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_status_sort_key ON orders (status, sort_key);
CREATE INDEX IF NOT EXISTS orders_by_sort_key ON orders (sort_key);
CREATE TABLE IF NOT EXISTS idempotency (
    key           TEXT PRIMARY KEY NOT NULL,
    request_hash  TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
);
";

/// Version 2: the transactional outbox (the embedded queues, created by this
/// version before, are `orders-local-aws`'s). Times are epoch milliseconds.
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS event_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
";

/// Version 3: the order's `customer_phone` (its own column, like the e-mail:
/// neither is in the JSON document) and the notifier's send ledger (one row
/// per (order, status); `SENDING` with a lease, then `SENT`). Times are epoch
/// milliseconds; `channels` is a comma-separated list (`email,sms`).
const SCHEMA_V3: &str = "
ALTER TABLE orders ADD COLUMN customer_phone TEXT;
CREATE TABLE IF NOT EXISTS notification_ledger (
    order_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('SENDING', 'SENT')),
    lease_until INTEGER,
    sent_at     INTEGER,
    channels    TEXT,
    PRIMARY KEY (order_id, status)
) WITHOUT ROWID;
";

/// Version 4: the saga's records. `payments`: one row per order, the
/// [`Payment`](orders_core::payments::Payment) as a JSON document plus its
/// status (and creation time, for newest-first listing) as columns.
/// `payment_attempts`: calls per idempotency key (the simulated provider's
/// `AttemptCounter`). `stock`: one row per SKU; `available` and `reserved`
/// never go below zero (CHECK), `updated_at` in epoch milliseconds.
/// `reservations`: one row per order, its lines as JSON
/// (`[{"sku":..,"quantity":..}]`), times in epoch milliseconds.
const SCHEMA_V4: &str = "
CREATE TABLE IF NOT EXISTS payments (
    order_id   TEXT PRIMARY KEY NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('CHARGED', 'DECLINED', 'REFUNDED')),
    created_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_created_at ON payments (created_at, order_id);
CREATE TABLE IF NOT EXISTS payment_attempts (
    key      TEXT PRIMARY KEY NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 1)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock (
    sku        TEXT PRIMARY KEY NOT NULL,
    available  INTEGER NOT NULL CHECK (available >= 0),
    reserved   INTEGER NOT NULL CHECK (reserved >= 0),
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reservations (
    order_id    TEXT PRIMARY KEY NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('RESERVED', 'RELEASED')),
    lines       TEXT NOT NULL,
    reserved_at INTEGER NOT NULL,
    released_at INTEGER
);
";

/// Version 6: the saga's fence (`orders.compensation_started_at`, epoch
/// milliseconds, set once when compensation begins), the payment statuses
/// CHARGING (the intent recorded before the provider call) and VOIDED (an
/// intent cancelled at the provider), and the simulated provider's voided
/// keys. SQLite cannot alter a CHECK, so `payments` and `payment_attempts`
/// are rebuilt.
const SCHEMA_V6: &str = "
ALTER TABLE orders ADD COLUMN compensation_started_at INTEGER;
CREATE TABLE payments_v6 (
    order_id   TEXT PRIMARY KEY NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('CHARGING', 'CHARGED', 'DECLINED', 'REFUNDED', 'VOIDED')),
    created_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
INSERT INTO payments_v6 (order_id, status, created_at, doc)
    SELECT order_id, status, created_at, doc FROM payments;
DROP TABLE payments;
ALTER TABLE payments_v6 RENAME TO payments;
CREATE INDEX IF NOT EXISTS payments_by_created_at ON payments (created_at, order_id);
CREATE TABLE payment_attempts_v6 (
    key      TEXT PRIMARY KEY NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    voided   INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1))
) WITHOUT ROWID;
INSERT INTO payment_attempts_v6 (key, attempts) SELECT key, attempts FROM payment_attempts;
DROP TABLE payment_attempts;
ALTER TABLE payment_attempts_v6 RENAME TO payment_attempts;
";

/// Version 7: the notification ledger's `REFUSED` state, `refused_at`
/// (epoch milliseconds) and `error_code` (the delivery service's). SQLite
/// cannot alter a CHECK, so the table is rebuilt.
const SCHEMA_V7: &str = "
CREATE TABLE notification_ledger_v7 (
    order_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('SENDING', 'SENT', 'REFUSED')),
    lease_until INTEGER,
    sent_at     INTEGER,
    channels    TEXT,
    refused_at  INTEGER,
    error_code  TEXT,
    PRIMARY KEY (order_id, status)
) WITHOUT ROWID;
INSERT INTO notification_ledger_v7 (order_id, status, state, lease_until, sent_at, channels)
    SELECT order_id, status, state, lease_until, sent_at, channels FROM notification_ledger;
DROP TABLE notification_ledger;
ALTER TABLE notification_ledger_v7 RENAME TO notification_ledger;
";

/// The schema of a crate that keeps its own tables in the store's file (a
/// local stand-in): its steps, run forward on open inside the store's
/// migration transaction, after the store's steps. The version a file's
/// tables are at is a row of `schema_versions` per component, not the
/// store's `user_version`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The owner of the tables, the key of its row in `schema_versions`.
    pub component: &'static str,
    /// Step n takes the tables from version n to n + 1. A released step is
    /// never edited, only followed by new ones. Files made before the
    /// stand-ins owned their tables have them without a row, at version 0:
    /// a first step of `CREATE ... IF NOT EXISTS` serves both those and new
    /// files.
    pub steps: &'static [&'static str],
}

/// One row per component with tables of its own in the file.
const SCHEMA_VERSIONS: &str = "
CREATE TABLE IF NOT EXISTS schema_versions (
    component TEXT PRIMARY KEY NOT NULL,
    version   INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Runs the steps of `m` the file has not had yet.
fn migrate_component(tx: &Connection, m: &Migration) -> Result<(), StoreError> {
    let done: i64 = tx
        .query_row(
            "SELECT version FROM schema_versions WHERE component = ?1",
            [m.component],
            |r| r.get(0),
        )
        .optional()
        .map_err(map_err)?
        .unwrap_or(0);
    let target = m.steps.len() as i64;
    if done > target {
        return Err(StoreError::Other(format!(
            "the {} tables are at version {done}, newer than this build ({target})",
            m.component
        )));
    }
    for step in &m.steps[done as usize..] {
        tx.execute_batch(step).map_err(map_err)?;
    }
    if done < target {
        tx.execute(
            "INSERT INTO schema_versions (component, version) VALUES (?1, ?2) \
             ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            params![m.component, target],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(crate) fn migrate(conn: &mut Connection, others: &[Migration]) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_err)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(map_err)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Other(format!(
            "database schema version {version} is newer than this build ({SCHEMA_VERSION})"
        )));
    }
    if version < 1 {
        tx.execute_batch(SCHEMA_V1).map_err(map_err)?;
    }
    if version < 2 {
        tx.execute_batch(SCHEMA_V2).map_err(map_err)?;
        if version >= 1 {
            backfill_outbox(&tx)?;
        }
    }
    if version < 3 {
        tx.execute_batch(SCHEMA_V3).map_err(map_err)?;
    }
    if version < 4 {
        tx.execute_batch(SCHEMA_V4).map_err(map_err)?;
    }
    if version < 6 {
        tx.execute_batch(SCHEMA_V6).map_err(map_err)?;
    }
    if version < 7 {
        tx.execute_batch(SCHEMA_V7).map_err(map_err)?;
    }
    if !others.is_empty() {
        tx.execute_batch(SCHEMA_VERSIONS).map_err(map_err)?;
        for m in others {
            migrate_component(&tx, m)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(map_err)?;
    tx.commit().map_err(map_err)
}

/// Orders written before version 2 never had an event. Those still PENDING
/// get their `OrderCreated` now, so they move on like any new order; orders
/// past PENDING were already handled by hand and get none.
fn backfill_outbox(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let mut stmt = tx
        .prepare(
            "SELECT doc, customer_email FROM orders WHERE status = 'PENDING' ORDER BY sort_key",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(map_err)?;
    let mut n = 0usize;
    for row in rows {
        let (doc, email) = row.map_err(map_err)?;
        let order = decode_order(
            &doc,
            Contacts {
                email,
                phone: None,
                compensation_started_at: None,
            },
        )?;
        outbox::write_order_created(tx, &order).map_err(map_err)?;
        n += 1;
    }
    if n > 0 {
        tracing::info!(orders = n, "outbox backfilled for pending orders");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
