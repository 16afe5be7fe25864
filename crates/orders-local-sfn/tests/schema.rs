//! The executor's tables: created by its own step on a file the store alone
//! opened before, and the step runs again on every open harmlessly.

use orders_sqlite::SqliteStore;

#[tokio::test]
async fn a_store_file_gains_the_executor_tables_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.db");
    drop(SqliteStore::open(&db).unwrap());
    for _ in 0..2 {
        let s = SqliteStore::open_with(&db, &[orders_local_sfn::MIGRATION]).unwrap();
        let (executions, history): (i64, i64) = s
            .with_reader(|c| {
                c.query_row(
                    "SELECT (SELECT COUNT(*) FROM sfn_executions), (SELECT COUNT(*) FROM sfn_history)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })
            .await
            .unwrap();
        assert_eq!((executions, history), (0, 0));
    }
}
