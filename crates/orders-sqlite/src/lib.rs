//! The embedded store: the Orders ports on one SQLite file (WAL mode), for
//! the local host. Same semantics as `orders-dynamodb` (the contract suite in
//! `tests/contract` runs both): an order id is written once, an order and its
//! idempotency record are written in one transaction, a live record wins over
//! a new request with the same key, an expired one is replaced, and lists are
//! ordered by the sort key `<createdAt>#<orderId>` with an exclusive cursor.
//!
//! # What the store holds, and what it does not
//!
//! The store is the adapter of the core's ports: orders and idempotency
//! records (`OrderWriter`, `OrderReader`, `OrderLister`), conditional
//! status moves (`OrderStatusUpdater`), the notifier's send ledger
//! ([`ledger`]), and the saga's records: payments (`PaymentLedger`,
//! `AttemptCounter`), stock and reservations (`Inventory`, `StockAdmin`).
//! Every new order writes its `OrderCreated` event to the `event_outbox`
//! table in the same transaction as the order row, and every status move
//! its `OrderStatusChanged` in the move's transaction ([`outbox`]), so no
//! order or status exists without its event and a rolled-back, replayed or
//! refused write writes none; after each commit that wrote outbox rows the
//! store signals its [`OutboxWaker`]s.
//!
//! The local stand-ins for the AWS services (the embedded SQS queue, the
//! outbox-to-queue dispatcher, the SNS topic, the SES/SMS notifier) live in
//! `orders-local-aws`, on this store's file and connections
//! ([`SqliteStore::with_writer`], [`SqliteStore::with_reader`]). The
//! store's tables are this crate's one versioned migration; each stand-in
//! creates its own tables with a [`Migration`] of its own, which whoever
//! opens the file passes to [`SqliteStore::open_with`] (docs/data-model.md,
//! "The embedded store").
//!
//! # Durability: `synchronous = NORMAL`
//!
//! In WAL mode `NORMAL` syncs the WAL at checkpoints, not on every commit. A
//! crash of the process (the local host's failure mode) loses nothing: every
//! committed transaction is in the WAL file and the OS page cache. Only a
//! power loss or kernel crash may roll back the last few commits, and even
//! then the database is never corrupted. `FULL` would add one fsync per
//! create, which alone can cost more than the whole 20 ms p99 budget on slow
//! disks, for a protection a laptop-local development store does not need.
//!
//! # Concurrency
//!
//! WAL checkpoints run on a thread of their own ([`checkpoint`]), so no
//! write waits for one.
//!
//! A file store has one writer connection, owned by a thread of its own
//! that commits the writes queued for it in groups ([`writer`]; SQLite
//! admits one writer at a time anyway), and a few reader connections that
//! WAL lets read while the writer writes; reads run on
//! `tokio::task::spawn_blocking`. An in-memory store has a single
//! connection for both, behind a mutex.

use orders_core::error::StoreError;
use rusqlite::{Connection, ErrorCode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{watch, Notify};

mod checkpoint;
mod counts;
mod inventory;
pub mod ledger;
mod orders;
pub mod outbox;
mod payments;
mod schema;
mod stock;
mod writer;

pub use outbox::{OutboxEntry, OutboxWaker};
pub use rusqlite;
pub use schema::{Migration, SCHEMA_VERSION};

/// How long a connection waits for a lock held by another connection or
/// process before the call fails with [`StoreError::Unavailable`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Number of reader connections of a file store.
const READERS: usize = 2;

/// Where writes go: a file store's writer thread (group commit,
/// [`writer`]), or an in-memory store's one connection, shared with reads.
enum Write {
    Thread(writer::Writer),
    Inline(Arc<Mutex<Connection>>),
}

struct Inner {
    path: Option<PathBuf>,
    write: Write,
    /// Empty for an in-memory store: reads then use its one connection.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Named in-process wake-ups ([`SqliteStore::waker`]).
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
    /// Counts this process's commits that wrote outbox rows
    /// ([`SqliteStore::outbox_waker`]).
    outbox_written: watch::Sender<u64>,
    /// A file store's WAL checkpoints, off the writer ([`checkpoint`]).
    _checkpointer: Option<checkpoint::Checkpointer>,
}

/// The SQLite store. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, migrates the
    /// store's schema, and sets WAL mode.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &[])
    }

    /// [`SqliteStore::open`], also running the schema steps of the crates
    /// that keep their own tables in this file (the local stand-ins), in
    /// the same transaction as the store's.
    pub fn open_with(path: impl AsRef<Path>, others: &[Migration]) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path).map_err(map_err)?;
        configure(&writer, true)?;
        schema::migrate(&mut writer, others)?;
        // The checkpointer thread copies the WAL; the writer's commits don't.
        writer
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(map_err)?;
        let checkpointer = checkpoint::Checkpointer::start(&path)?;
        let writer = Write::Thread(writer::Writer::start(writer)?);
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open(&path).map_err(map_err)?;
                configure(&conn, false)?;
                Ok(Mutex::new(conn))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        tracing::debug!(path = %path.display(), "sqlite store opened");
        Ok(Self::from_parts(
            Some(path),
            writer,
            readers,
            Some(checkpointer),
        ))
    }

    /// A private, empty in-memory database on one connection (for tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::in_memory_with(&[])
    }

    /// [`SqliteStore::in_memory`] with other crates' tables too, as
    /// [`SqliteStore::open_with`].
    pub fn in_memory_with(others: &[Migration]) -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(map_err)?;
        configure(&conn, false)?;
        schema::migrate(&mut conn, others)?;
        Ok(Self::from_parts(
            None,
            Write::Inline(Arc::new(Mutex::new(conn))),
            Vec::new(),
            None,
        ))
    }

    fn from_parts(
        path: Option<PathBuf>,
        write: Write,
        readers: Vec<Mutex<Connection>>,
        checkpointer: Option<checkpoint::Checkpointer>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                path,
                write,
                readers,
                next_reader: AtomicUsize::new(0),
                wakers: Mutex::new(HashMap::new()),
                outbox_written: watch::Sender::new(0),
                _checkpointer: checkpointer,
            }),
        }
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The in-process wake-up called `name`, shared by every clone of this
    /// store: a task that writes something through [`SqliteStore::with_writer`]
    /// notifies it, tasks waiting for that write wait on it (the embedded
    /// queues wake their long polls this way, one name per queue). Other
    /// processes on the same file are not woken; their readers poll.
    pub fn waker(&self, name: &str) -> Arc<Notify> {
        lock(&self.inner.wakers)
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    /// Wakes when this process commits a transaction that wrote outbox rows
    /// (see [`OutboxWaker`]); the outbox dispatcher waits on it.
    pub fn outbox_waker(&self) -> OutboxWaker {
        OutboxWaker::new(self.inner.outbox_written.subscribe())
    }

    /// Tells the [`OutboxWaker`]s that a committed transaction wrote outbox
    /// rows. Every write that inserts into `event_outbox` calls this after
    /// its commit.
    fn outbox_committed(&self) {
        self.inner
            .outbox_written
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Runs `f` on the writer connection, off the async runtime. For the
    /// local stand-ins' tables (queues, sent notifications) on this file, so
    /// that all writes of a process share one connection and never contend
    /// for SQLite's write lock. On a file store `f` runs inside a group
    /// commit's transaction ([`writer`]): for several statements that must
    /// hold together it opens a savepoint (`Connection::savepoint`), never a
    /// transaction, and its result comes back once the group is committed.
    pub async fn with_writer<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        self.with_writer_store(move |c| f(c).map_err(map_err)).await
    }

    /// Runs `f` on the writer connection, off the async runtime, for this
    /// crate's own store operations (which report [`StoreError`]s themselves).
    pub(crate) async fn with_writer_store<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        match &self.inner.write {
            Write::Thread(writer) => writer.call(f).await,
            Write::Inline(conn) => {
                let conn = conn.clone();
                blocking(move || f(&mut lock(&conn))).await
            }
        }
    }

    /// Runs `f` on a reader connection (the writer's for an in-memory store).
    pub async fn with_reader<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || inner.read(|c| f(c).map_err(map_err))).await
    }
}

impl Inner {
    fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        if self.readers.is_empty() {
            return match &self.write {
                Write::Inline(conn) => f(&lock(conn)),
                Write::Thread(_) => Err(StoreError::Other(
                    "a file store has reader connections".into(),
                )),
            };
        }
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % n;
        // Take a free reader if there is one, otherwise wait for ours.
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        f(&lock(&self.readers[start]))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the connection usable: SQLite
    // rolls back an unfinished transaction when the `Transaction` drops.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn configure(conn: &Connection, writer: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
    if writer {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(map_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!(
                "could not switch to WAL mode (got {mode})"
            )));
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(map_err)?;
    // Every statement the stores, queues and the executor use stays
    // prepared (well over 32 of them share the writer connection; a
    // smaller cache re-prepares them all the time).
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
) -> Result<R, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Other(format!("sqlite task failed: {e}")))?
}

fn map_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(format!("sqlite is busy: {e}"))
        }
        Some(ErrorCode::DiskFull | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) => {
            StoreError::Unavailable(format!("sqlite I/O: {e}"))
        }
        _ => StoreError::Other(format!("sqlite: {e}")),
    }
}

/// Now, in epoch milliseconds: the time unit of every table on the file.
pub fn now_epoch_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_maps_to_unavailable() {
        let e = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        assert!(matches!(map_err(e), StoreError::Unavailable(_)));
        let e = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
            None,
        );
        assert!(matches!(map_err(e), StoreError::Other(_)));
    }
}
