//! The store's schema, one versioned migration (`PRAGMA user_version`),
//! run forward on open in one transaction. The local stand-ins for AWS
//! services that share the file own their tables (`orders-local-aws`:
//! `queue_messages`, `sent_notifications`; `orders-local-sfn`:
//! `sfn_executions`, `sfn_history`): whoever opens the file passes their
//! steps ([`Migration`]), which run in the same transaction, after the
//! store's (docs/data-model.md, "The embedded store").

use crate::orders::{decode_order, Contacts};
use crate::{map_err, outbox};
use orders_core::error::StoreError;
use rusqlite::{Connection, TransactionBehavior};

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

/// The schema step of a crate that keeps its own tables in the store's file
/// (a local stand-in). It runs on every open, inside the store's migration
/// transaction and after the store's steps, so it must be idempotent and
/// bring any earlier shape of its tables up to date; the store's
/// `user_version` is the store's alone.
pub type Migration = fn(&Connection) -> rusqlite::Result<()>;

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
    for step in others {
        step(&tx).map_err(map_err)?;
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
mod tests {
    use super::*;
    use crate::SqliteStore;
    use orders_core::model::Order;
    use orders_core::ports::{OrderReader, OrderWriter};
    use rusqlite::params;
    use std::path::{Path, PathBuf};
    use std::time::Duration;
    use uuid::Uuid;

    fn sample(id: Uuid) -> Order {
        serde_json::from_value(serde_json::json!({
            "orderId": id, "customerId": "c1",
            "items": [{"sku": "A", "quantity": 1, "price": "1.00", "lineTotal": "1.00"}],
            "total": "1.00", "currency": "USD", "status": "PENDING",
            "createdAt": "2026-11-22T02:01:33.123Z", "updatedAt": "2026-11-22T02:01:33.123Z"
        }))
        .unwrap()
    }

    /// A database written by schema version 1 (orders and idempotency only).
    fn v1_database(path: &Path, orders: &[Order]) {
        old_database(path, 1, orders);
    }

    /// A database written by schema version `version` (1 to 3): before 3 no
    /// phone column, no ledger, no sent notifications; before 4 none of the
    /// saga's tables.
    fn old_database(path: &Path, version: i64, orders: &[Order]) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        if version >= 2 {
            conn.execute_batch(SCHEMA_V2).unwrap();
        }
        if version >= 3 {
            conn.execute_batch(SCHEMA_V3).unwrap();
        }
        for o in orders {
            conn.execute(
                "INSERT INTO orders (order_id, status, sort_key, customer_email, doc) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    o.order_id.to_string(),
                    o.status.as_str(),
                    o.sort_key(),
                    o.customer_email,
                    serde_json::to_string(o).unwrap()
                ],
            )
            .unwrap();
        }
        conn.pragma_update(None, "user_version", version).unwrap();
    }

    struct TempFile(PathBuf);
    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = self.0.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }

    #[tokio::test]
    async fn a_v1_database_migrates_forward_keeping_its_orders() {
        let db = TempFile(std::env::temp_dir().join(format!("orders-v1-{}.db", Uuid::now_v7())));
        let pending = sample(Uuid::now_v7());
        let mut done = sample(Uuid::now_v7());
        done.status = orders_core::OrderStatus::Completed;
        v1_database(&db.0, &[pending.clone(), done.clone()]);

        let s = SqliteStore::open(&db.0).unwrap();
        let v: i64 = s
            .with_reader(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert_eq!(
            s.get_order(pending.order_id).await.unwrap(),
            Some(pending.clone())
        );
        assert_eq!(
            s.get_order(done.order_id).await.unwrap(),
            Some(done.clone())
        );
        // The pending order gets the event it never had; the finished one none.
        let outbox = s.outbox_pending(10).await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].order_id, pending.order_id.to_string());
        let doc: serde_json::Value = serde_json::from_str(&outbox[0].body).unwrap();
        orders_validation::events::validate_event(&doc).unwrap();
        // New orders work as on a fresh database; reopening migrates nothing twice.
        s.create_order(&sample(Uuid::now_v7()), None).await.unwrap();
        drop(s);
        let s = SqliteStore::open(&db.0).unwrap();
        assert_eq!(s.outbox_pending(10).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_v2_database_migrates_to_v3_keeping_orders_and_events() {
        use orders_core::ports::{Channel, Claim, NotificationLedger};
        let db = TempFile(std::env::temp_dir().join(format!("orders-v2-{}.db", Uuid::now_v7())));
        let mut old = sample(Uuid::now_v7());
        old.customer_email = Some("ada@example.com".into());
        old_database(&db.0, 2, std::slice::from_ref(&old));

        let s = SqliteStore::open(&db.0).unwrap();
        let v: i64 = s
            .with_reader(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        // The old order reads back as it was, with no phone; v2 had an
        // outbox already, so nothing is backfilled.
        assert_eq!(s.get_order(old.order_id).await.unwrap(), Some(old.clone()));
        assert!(s.outbox_pending(10).await.unwrap().is_empty());
        // The v3 parts work: a phone round-trips, the ledger exists.
        let mut new = sample(Uuid::now_v7());
        new.customer_phone = Some("+14155550100".into());
        s.create_order(&new, None).await.unwrap();
        assert_eq!(s.get_order(new.order_id).await.unwrap(), Some(new.clone()));
        let now = chrono::Utc::now();
        let status = orders_core::OrderStatus::Processing;
        let lease = Duration::from_secs(30);
        assert_eq!(
            s.claim(old.order_id, status, now, lease).await.unwrap(),
            Claim::Claimed
        );
        s.complete(old.order_id, status, now, &[Channel::Email])
            .await
            .unwrap();
        drop(s);
        // Reopening migrates nothing twice and keeps the ledger.
        let s = SqliteStore::open(&db.0).unwrap();
        assert_eq!(
            s.claim(old.order_id, status, now, lease).await.unwrap(),
            Claim::AlreadySent
        );
        assert_eq!(s.get_order(new.order_id).await.unwrap(), Some(new));
    }

    #[tokio::test]
    async fn a_v3_database_migrates_to_v4_with_the_sagas_tables() {
        use orders_core::inventory::{ReservationLine, ReserveOutcome};
        use orders_core::ports::AttemptCounter;
        use orders_core::ports::{Inventory, StockAdmin};
        let db = TempFile(std::env::temp_dir().join(format!("orders-v3-{}.db", Uuid::now_v7())));
        let mut old = sample(Uuid::now_v7());
        // A reservation needs a PROCESSING order (the saga's fence).
        old.status = orders_core::model::OrderStatus::Processing;
        old_database(&db.0, 3, std::slice::from_ref(&old));

        let s = SqliteStore::open(&db.0).unwrap();
        assert_eq!(s.get_order(old.order_id).await.unwrap(), Some(old.clone()));
        let at = chrono::Utc::now();
        assert!(s.seed_stock("A", 2, at).await.unwrap());
        let lines = [ReservationLine {
            sku: "A".into(),
            quantity: 2,
        }];
        assert!(matches!(
            s.reserve(old.order_id, &lines, at).await.unwrap(),
            ReserveOutcome::Reserved(_)
        ));
        assert_eq!(s.count_attempt("k").await.unwrap(), Some(1));
        drop(s);
        // Reopening migrates nothing twice and keeps the new tables' rows.
        let s = SqliteStore::open(&db.0).unwrap();
        assert_eq!(s.count_attempt("k").await.unwrap(), Some(2));
        let level = s.get_stock("A").await.unwrap().unwrap();
        assert_eq!((level.available, level.reserved), (0, 2));
        assert!(s.get_reservation(old.order_id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_v5_database_migrates_to_v6_keeping_payments_and_attempts() {
        use orders_core::ports::{AttemptCounter, PaymentLedger};
        let db = TempFile(std::env::temp_dir().join(format!("orders-v5-{}.db", Uuid::now_v7())));
        let old = sample(Uuid::now_v7());
        old_database(&db.0, 3, std::slice::from_ref(&old));
        {
            let conn = Connection::open(&db.0).unwrap();
            conn.execute_batch(SCHEMA_V4).unwrap();
            let doc = serde_json::json!({
                "paymentId": "pay_1", "orderId": old.order_id, "amount": "1.00",
                "currency": "USD", "status": "CHARGED", "providerRef": "ch_1",
                "createdAt": "2026-11-22T02:01:33.123Z"
            });
            conn.execute(
                "INSERT INTO payments (order_id, status, created_at, doc) VALUES (?1, 'CHARGED', 1, ?2)",
                params![old.order_id.to_string(), doc.to_string()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO payment_attempts (key, attempts) VALUES ('k', 2)",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 5).unwrap();
        }
        let s = SqliteStore::open(&db.0).unwrap();
        let kept = s.get_payment(old.order_id).await.unwrap().unwrap();
        assert_eq!(kept.provider_ref.as_deref(), Some("ch_1"));
        assert_eq!(s.get_order(old.order_id).await.unwrap(), Some(old));
        assert_eq!(s.count_attempt("k").await.unwrap(), Some(3));
        assert_eq!(s.void_key("k").await.unwrap(), 3);
        assert_eq!(s.count_attempt("k").await.unwrap(), None);
        assert_eq!(s.void_key("never-counted").await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_v6_ledger_keeps_its_entries_and_gains_refusals() {
        use crate::ledger::{REFUSED, SENT};
        use orders_core::ports::{Claim, NotificationLedger};
        use orders_core::OrderStatus;
        let db = TempFile(std::env::temp_dir().join(format!("orders-v6-{}.db", Uuid::now_v7())));
        let (sent, sending) = (Uuid::now_v7(), Uuid::now_v7());
        old_database(&db.0, 3, &[]);
        {
            let conn = Connection::open(&db.0).unwrap();
            for v in [SCHEMA_V4, SCHEMA_V6] {
                conn.execute_batch(v).unwrap();
            }
            conn.execute(
                "INSERT INTO notification_ledger (order_id, status, state, sent_at, channels) \
                 VALUES (?1, 'PROCESSING', 'SENT', 1, 'email')",
                params![sent.to_string()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO notification_ledger (order_id, status, state, lease_until) \
                 VALUES (?1, 'PROCESSING', 'SENDING', 1)",
                params![sending.to_string()],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 6).unwrap();
        }
        let s = SqliteStore::open(&db.0).unwrap();
        let p = OrderStatus::Processing;
        let entry = s.ledger_entry(sent, p).await.unwrap().unwrap();
        assert_eq!((entry.state.as_str(), entry.sent_at_ms), (SENT, Some(1)));
        let now = chrono::Utc::now();
        // The old lease ended long ago: taken over, then refused.
        let lease = Duration::from_secs(30);
        assert_eq!(
            s.claim(sending, p, now, lease).await.unwrap(),
            Claim::Claimed
        );
        s.refuse(sending, p, now, "MessageRejected").await.unwrap();
        let entry = s.ledger_entry(sending, p).await.unwrap().unwrap();
        assert_eq!(entry.state, REFUSED);
        assert_eq!(entry.error_code.as_deref(), Some("MessageRejected"));
        assert_eq!(
            s.claim(sending, p, now, lease).await.unwrap(),
            Claim::Refused
        );
        // A refusal after the send leaves it sent.
        s.refuse(sent, p, now, "MessageRejected").await.unwrap();
        assert_eq!(
            s.claim(sent, p, now, lease).await.unwrap(),
            Claim::AlreadySent
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(migrate(&mut conn, &[]).is_err());
    }

    #[tokio::test]
    async fn schema_is_versioned() {
        let s = SqliteStore::in_memory().unwrap();
        let v: i64 = s
            .with_writer(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }
}
