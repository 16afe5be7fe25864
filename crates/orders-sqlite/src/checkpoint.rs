//! WAL checkpoints off the write path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the
//! WAL's size limit, on the committing connection: here the one writer
//! connection, while every other write of the process waits behind it. With
//! `synchronous = NORMAL` a checkpoint is also where the fsyncs happen (the
//! WAL before copying, the database file after). Under the saga's load that
//! put two fsyncs in a write's latency every few dozen orders.
//!
//! A file store therefore turns the automatic checkpoint off on its writer
//! and runs `PRAGMA wal_checkpoint(PASSIVE)` on a thread of its own, on its
//! own connection: every [`INTERVAL`] while the WAL has frames to copy.
//! PASSIVE never waits for and never blocks a writer or a reader; what it
//! cannot copy yet (frames a reader still needs) waits for the next round.
//! The thread ends when the store's last clone is dropped.

use orders_core::error::StoreError;
use rusqlite::Connection;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the checkpointer copies the WAL into the database file.
pub(crate) const INTERVAL: Duration = Duration::from_millis(200);

/// Keeps the checkpointer thread running; dropping it stops the thread
/// (after a last checkpoint).
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` on a connection of its
    /// own. The writer connection must have `wal_autocheckpoint = 0`.
    pub(crate) fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(super::map_err)?;
        conn.busy_timeout(super::BUSY_TIMEOUT)
            .map_err(super::map_err)?;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || loop {
                let last = matches!(
                    stopped.recv_timeout(INTERVAL),
                    Err(RecvTimeoutError::Disconnected) | Ok(())
                );
                if let Err(e) = checkpoint(&conn) {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retrying on the next round");
                }
                if last {
                    break;
                }
            })
            .map_err(|e| {
                StoreError::Other(format!("could not start the checkpoint thread: {e}"))
            })?;
        Ok(Self { _stop: stop })
    }
}

/// One PASSIVE checkpoint; returns (frames in the WAL, frames copied).
pub(crate) fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_copies_the_wal_that_the_writer_no_longer_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute_batch("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (zeroblob(200000));")
            .unwrap();
        let db_len = || std::fs::metadata(&path).unwrap().len();
        assert!(db_len() < 200_000, "the rows are still only in the WAL");
        let cp = Checkpointer::start(&path).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while db_len() < 200_000 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            db_len() >= 200_000,
            "the checkpointer copied the WAL into the database file"
        );
        drop(cp);
        drop(writer);
    }
}
