//! The stand-ins' tables: created by their own step on a file the store
//! alone opened before (an old file, or one orders-admin made), and the step
//! runs again on every open without touching what is there.

use orders_sqlite::{SqliteStore, SCHEMA_VERSION};

async fn count(store: &SqliteStore, table: &'static str) -> i64 {
    store
        .with_reader(move |c| {
            c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_store_file_gains_the_tables_and_keeps_its_rows_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.db");
    let store_only = SqliteStore::open(&db).unwrap();
    assert!(store_only
        .with_reader(
            |c| c.query_row("SELECT COUNT(*) FROM queue_messages", [], |r| r
                .get::<_, i64>(0))
        )
        .await
        .is_err());
    drop(store_only);

    let s = SqliteStore::open_with(&db, &[orders_local_aws::MIGRATION]).unwrap();
    assert_eq!(count(&s, "queue_messages").await, 0);
    assert_eq!(count(&s, "sent_notifications").await, 0);
    s.with_writer(|c| {
        c.execute(
            "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) \
             VALUES ('q', 'm-1', '{}', 1, 1)",
            [],
        )
    })
    .await
    .unwrap();
    drop(s);

    let s = SqliteStore::open_with(&db, &[orders_local_aws::MIGRATION]).unwrap();
    assert_eq!(count(&s, "queue_messages").await, 1);
    let version: i64 = s
        .with_reader(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}
