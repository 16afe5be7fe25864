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
    use orders_core::notification::Channel;
    use orders_core::ports::{Claim, NotificationLedger};
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

#[tokio::test]
async fn a_components_steps_run_once_each_and_a_newer_file_is_refused() {
    const ONE: Migration = Migration {
        component: "c",
        steps: &["CREATE TABLE IF NOT EXISTS c_items (n INTEGER);"],
    };
    const TWO: Migration = Migration {
        component: "c",
        steps: &[
            "CREATE TABLE IF NOT EXISTS c_items (n INTEGER);",
            // Fails if run twice (duplicate column).
            "ALTER TABLE c_items ADD COLUMN m INTEGER;",
        ],
    };
    let db = TempFile(std::env::temp_dir().join(format!("orders-c-{}.db", Uuid::now_v7())));
    drop(SqliteStore::open(&db.0).unwrap());
    drop(SqliteStore::open_with(&db.0, &[ONE]).unwrap());
    drop(SqliteStore::open_with(&db.0, &[TWO]).unwrap());
    let s = SqliteStore::open_with(&db.0, &[TWO]).unwrap();
    let (version, store_version): (i64, i64) = s
        .with_reader(|c| {
            c.query_row(
                "SELECT (SELECT version FROM schema_versions WHERE component = 'c'), \
                 (SELECT user_version FROM pragma_user_version)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!((version, store_version), (2, SCHEMA_VERSION));
    drop(s);
    assert!(SqliteStore::open_with(&db.0, &[ONE]).is_err());
}
