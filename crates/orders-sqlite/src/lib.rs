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
//! records ([`OrderWriter`], [`OrderReader`], [`OrderLister`]), conditional
//! status moves ([`OrderStatusUpdater`]) and the notifier's send ledger
//! ([`ledger`]). Every new order writes its `OrderCreated` event to the
//! `event_outbox` table in the same transaction as the order row
//! ([`outbox`]), so no order exists without its event and a rolled-back or
//! replayed create writes none; after each commit that wrote outbox rows the
//! store signals its [`OutboxWaker`]s.
//!
//! The local stand-ins for the AWS services (the embedded SQS queue, the
//! outbox-to-queue dispatcher, the SNS topic, the SES/SMS notifier) live in
//! `orders-local-aws`, on this store's file and connections
//! ([`SqliteStore::with_writer`], [`SqliteStore::with_reader`]). The file's
//! schema, theirs included, is this crate's one versioned migration
//! (docs/data-model.md, "The embedded store").
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
//! SQLite calls block, so each one runs on `tokio::task::spawn_blocking`. A
//! file store has one writer connection (SQLite admits one writer at a time
//! anyway, so the mutex replaces `SQLITE_BUSY` spinning with a queue) and a
//! few reader connections that WAL lets read while the writer writes. An
//! in-memory store has a single connection for both.

use orders_core::error::StoreError;
use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::Order;
use orders_core::ports::{
    CreateOutcome, ListPage, ListQuery, OrderLister, OrderReader, OrderStatusUpdater, OrderWriter,
    SortOrder, StatusChange, TransitionOutcome,
};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

pub mod ledger;
pub mod outbox;

pub use outbox::{OutboxEntry, OutboxWaker};
pub use rusqlite;

/// The schema version this crate creates and reads (`PRAGMA user_version`).
/// 1: orders and idempotency records. 2: the event outbox and the queues.
/// 3: the customer's phone, the notification ledger and the local record of
/// sent notifications.
pub const SCHEMA_VERSION: i64 = 3;

/// How long a connection waits for a lock held by another connection or
/// process before the call fails with [`StoreError::Unavailable`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Number of reader connections of a file store.
const READERS: usize = 2;

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

/// Version 2: the transactional outbox and the embedded queues. Times are
/// epoch milliseconds. A dead-lettered message keeps its row: `queue` becomes
/// the dead-letter queue and `source_queue` remembers where it came from.
const SCHEMA_V2: &str = "
CREATE TABLE IF NOT EXISTS event_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_messages (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    queue             TEXT NOT NULL,
    message_id        TEXT NOT NULL UNIQUE,
    body              TEXT NOT NULL,
    sent_at           INTEGER NOT NULL,
    visible_at        INTEGER NOT NULL,
    receive_count     INTEGER NOT NULL DEFAULT 0,
    receipt           TEXT UNIQUE,
    first_received_at INTEGER,
    source_queue      TEXT,
    dead_lettered_at  INTEGER
);
CREATE INDEX IF NOT EXISTS queue_messages_by_visibility ON queue_messages (queue, visible_at, seq);
";

/// Version 3: the order's `customer_phone` (its own column, like the e-mail:
/// neither is in the JSON document), the notifier's send ledger (one row per
/// (order, status); `SENDING` with a lease, then `SENT`) and the notifications
/// the local host "sent" (recorded instead by `orders-local-aws`). Times are epoch
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
CREATE TABLE IF NOT EXISTS sent_notifications (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id      TEXT NOT NULL,
    status        TEXT NOT NULL,
    channels      TEXT NOT NULL,
    email_to      TEXT,
    email_subject TEXT,
    email_body    TEXT,
    sms_to        TEXT,
    sms_text      TEXT,
    sent_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sent_notifications_by_order ON sent_notifications (order_id, seq);
";

struct Inner {
    path: Option<PathBuf>,
    writer: Mutex<Connection>,
    /// Empty for an in-memory store: reads then use the writer connection.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Named in-process wake-ups ([`SqliteStore::waker`]).
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
    /// Counts this process's commits that wrote outbox rows
    /// ([`SqliteStore::outbox_waker`]).
    outbox_written: watch::Sender<u64>,
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
    /// schema, and sets WAL mode.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut writer = Connection::open(&path).map_err(map_err)?;
        configure(&writer, true)?;
        migrate(&mut writer)?;
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open(&path).map_err(map_err)?;
                configure(&conn, false)?;
                Ok(Mutex::new(conn))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        tracing::debug!(path = %path.display(), "sqlite store opened");
        Ok(Self::from_parts(Some(path), writer, readers))
    }

    /// A private, empty in-memory database on one connection (for tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(map_err)?;
        configure(&conn, false)?;
        migrate(&mut conn)?;
        Ok(Self::from_parts(None, conn, Vec::new()))
    }

    fn from_parts(
        path: Option<PathBuf>,
        conn: Connection,
        readers: Vec<Mutex<Connection>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(conn),
                readers,
                next_reader: AtomicUsize::new(0),
                wakers: Mutex::new(HashMap::new()),
                outbox_written: watch::Sender::new(0),
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
    /// for SQLite's write lock.
    pub async fn with_writer<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || f(&mut lock(&inner.writer)).map_err(map_err)).await
    }

    /// Runs `f` on the writer connection, off the async runtime, for this
    /// crate's own store operations (which report [`StoreError`]s themselves).
    pub(crate) async fn with_writer_store<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || f(&mut lock(&inner.writer))).await
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
            return f(&lock(&self.writer));
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
    conn.set_prepared_statement_cache_capacity(32);
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
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
        let order = decode_order(&doc, Contacts { email, phone: None })?;
        outbox::write_order_created(tx, &order).map_err(map_err)?;
        n += 1;
    }
    if n > 0 {
        tracing::info!(orders = n, "outbox backfilled for pending orders");
    }
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

fn now_epoch_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn read_record(conn: &Connection, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT request_hash, order_id, status_code, response_body, expires_at \
             FROM idempotency WHERE key = ?1",
        )
        .map_err(map_err)?;
    let row = stmt
        .query_row([key], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .optional()
        .map_err(map_err)?;
    row.map(
        |(request_hash, order_id, status_code, response_body, expires_at)| {
            Ok(IdempotencyRecord {
                key: key.to_string(),
                request_hash,
                order_id: Uuid::try_parse(&order_id)
                    .map_err(|e| StoreError::Corrupt(format!("idempotency order id: {e}")))?,
                status_code: u16::try_from(status_code)
                    .map_err(|_| StoreError::Corrupt(format!("status code {status_code}")))?,
                response_body,
                expires_at,
            })
        },
    )
    .transpose()
}

/// The customer's contacts, kept in their own columns: the JSON document of
/// an order never holds them (`Order` skips them when serializing).
struct Contacts {
    email: Option<String>,
    phone: Option<String>,
}

/// The columns every order read selects, in this order; see [`order_row`].
const ORDER_COLUMNS: &str = "doc, customer_email, customer_phone";

/// Reads the [`ORDER_COLUMNS`] of a row.
fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Contacts)> {
    Ok((
        r.get(0)?,
        Contacts {
            email: r.get(1)?,
            phone: r.get(2)?,
        },
    ))
}

fn decode_order(doc: &str, contacts: Contacts) -> Result<Order, StoreError> {
    let mut order: Order = serde_json::from_str(doc)
        .map_err(|e| StoreError::Corrupt(format!("order document: {e}")))?;
    order.customer_email = contacts.email;
    order.customer_phone = contacts.phone;
    Ok(order)
}

fn encode_order(order: &Order) -> Result<String, StoreError> {
    serde_json::to_string(order)
        .map_err(|e| StoreError::Other(format!("order does not serialize: {e}")))
}

fn create(
    conn: &mut Connection,
    order: &Order,
    record: Option<&IdempotencyRecord>,
) -> Result<CreateOutcome, StoreError> {
    let doc = encode_order(order)?;
    let order_id = order.order_id.to_string();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_err)?;
    if let Some(rec) = record {
        // A live record wins: nothing is written (the transaction rolls back
        // when dropped). An expired one is replaced below.
        if let Some(existing) = read_record(&tx, &rec.key)? {
            if !existing.is_expired(now_epoch_seconds()) {
                return Ok(CreateOutcome::KeyExists(existing));
            }
        }
    }
    let inserted = tx
        .prepare_cached(
            "INSERT INTO orders (order_id, status, sort_key, customer_email, customer_phone, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (order_id) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                order_id,
                order.status.as_str(),
                order.sort_key(),
                order.customer_email,
                order.customer_phone,
                doc
            ])
        })
        .map_err(map_err)?;
    if inserted == 0 {
        return Err(StoreError::OrderExists(order_id));
    }
    if let Some(rec) = record {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO idempotency \
             (key, request_hash, order_id, status_code, response_body, expires_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                rec.key,
                rec.request_hash,
                rec.order_id.to_string(),
                rec.status_code,
                rec.response_body,
                rec.expires_at
            ])
        })
        .map_err(map_err)?;
    }
    outbox::write_order_created(&tx, order).map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(CreateOutcome::Created)
}

fn get(conn: &Connection, order_id: &str) -> Result<Option<Order>, StoreError> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?1"
        ))
        .map_err(map_err)?;
    let row = stmt
        .query_row([order_id], order_row)
        .optional()
        .map_err(map_err)?;
    row.map(|(doc, contacts)| decode_order(&doc, contacts))
        .transpose()
}

fn list(conn: &Connection, q: &ListQuery) -> Result<ListPage, StoreError> {
    let (cmp, dir) = match q.order {
        SortOrder::Asc => (">", "ASC"),
        SortOrder::Desc => ("<", "DESC"),
    };
    let mut conds = Vec::with_capacity(2);
    let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(3);
    let status = q.status.map(|s| s.as_str());
    if let Some(s) = &status {
        args.push(s);
        conds.push(format!("status = ?{}", args.len()));
    }
    if let Some(after) = &q.after {
        args.push(after);
        conds.push(format!("sort_key {cmp} ?{}", args.len()));
    }
    let fetch = i64::from(q.limit) + 1;
    args.push(&fetch);
    let limit_param = args.len();
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders {filter} ORDER BY sort_key {dir} LIMIT ?{limit_param}"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(args.as_slice(), order_row)
        .map_err(map_err)?;
    let mut orders = Vec::with_capacity(q.limit as usize + 1);
    for row in rows {
        let (doc, contacts) = row.map_err(map_err)?;
        orders.push(decode_order(&doc, contacts)?);
    }
    let has_more = orders.len() > q.limit as usize;
    orders.truncate(q.limit as usize);
    Ok(ListPage { orders, has_more })
}

/// The conditional status move, in one write transaction: the order row is
/// read, and rewritten (status column and document) only if its status is
/// still `change.from`. Another process's writer waits for the transaction
/// (IMMEDIATE), and this process's writers queue on the writer mutex, so of
/// concurrent moves of one order exactly one sees its `from`.
fn transition(
    conn: &mut Connection,
    change: &StatusChange,
) -> Result<TransitionOutcome, StoreError> {
    let order_id = change.order_id.to_string();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_err)?;
    let Some(mut order) = get(&tx, &order_id)? else {
        return Ok(TransitionOutcome::NotFound);
    };
    if order.status != change.from {
        return Ok(TransitionOutcome::Unchanged(order));
    }
    order.status = change.to;
    order.status_reason = change.reason.clone();
    order.updated_at = change.at;
    let doc = encode_order(&order)?;
    let updated = tx
        .prepare_cached(
            "UPDATE orders SET status = ?3, doc = ?4 WHERE order_id = ?1 AND status = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                order_id,
                change.from.as_str(),
                change.to.as_str(),
                doc
            ])
        })
        .map_err(map_err)?;
    if updated != 1 {
        // Cannot happen inside the transaction; refuse rather than guess.
        return Err(StoreError::Other(format!(
            "order {order_id} changed during its status transaction"
        )));
    }
    // Read back what was stored (timestamps keep milliseconds), as DynamoDB
    // returns the item after the update.
    let stored = get(&tx, &order_id)?
        .ok_or_else(|| StoreError::Other(format!("order {order_id} vanished in its update")))?;
    tx.commit().map_err(map_err)?;
    Ok(TransitionOutcome::Moved(stored))
}

#[async_trait::async_trait]
impl OrderStatusUpdater for SqliteStore {
    async fn transition(&self, change: &StatusChange) -> Result<TransitionOutcome, StoreError> {
        let change = change.clone();
        let outcome = self
            .with_writer_store(move |c| transition(c, &change))
            .await;
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, "sqlite status transition failed");
        }
        outcome
    }
}

#[async_trait::async_trait]
impl OrderWriter for SqliteStore {
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError> {
        let order = order.clone();
        let record = idempotency.cloned();
        let outcome = self
            .with_writer_store(move |c| create(c, &order, record.as_ref()))
            .await;
        match &outcome {
            // The order and its `OrderCreated` outbox row are committed.
            Ok(CreateOutcome::Created) => self.outbox_committed(),
            Ok(CreateOutcome::KeyExists(_)) | Err(StoreError::OrderExists(_)) => {}
            Err(e) => tracing::warn!(error = %e, "sqlite create failed"),
        }
        outcome
    }
}

#[async_trait::async_trait]
impl OrderReader for SqliteStore {
    async fn get_order(&self, order_id: Uuid) -> Result<Option<Order>, StoreError> {
        let inner = self.inner.clone();
        blocking(move || inner.read(|c| get(c, &order_id.to_string()))).await
    }
}

#[async_trait::async_trait]
impl OrderLister for SqliteStore {
    async fn list_orders(&self, query: &ListQuery) -> Result<ListPage, StoreError> {
        let inner = self.inner.clone();
        let query = query.clone();
        blocking(move || inner.read(|c| list(c, &query))).await
    }
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

    /// A database written by schema version `version` (1 or 2): no phone
    /// column, no ledger, no sent notifications.
    fn old_database(path: &Path, version: i64, orders: &[Order]) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        if version >= 2 {
            conn.execute_batch(SCHEMA_V2).unwrap();
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
        orders_core::events::validate_event(&doc).unwrap();
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
        assert_eq!(v, 3);
        // The old order reads back as it was, with no phone; v2 had an
        // outbox already, so nothing is backfilled.
        assert_eq!(s.get_order(old.order_id).await.unwrap(), Some(old.clone()));
        assert!(s.outbox_pending(10).await.unwrap().is_empty());
        // The v3 parts work: a phone round-trips, the ledger and the record
        // of sent notifications exist.
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
        // The local stand-ins' v3 table exists (empty).
        let sent: i64 = s
            .with_reader(|c| {
                c.query_row("SELECT COUNT(*) FROM sent_notifications", [], |r| r.get(0))
            })
            .await
            .unwrap();
        assert_eq!(sent, 0);
        drop(s);
        // Reopening migrates nothing twice and keeps the ledger.
        let s = SqliteStore::open(&db.0).unwrap();
        assert_eq!(
            s.claim(old.order_id, status, now, lease).await.unwrap(),
            Claim::AlreadySent
        );
        assert_eq!(s.get_order(new.order_id).await.unwrap(), Some(new));
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(migrate(&mut conn).is_err());
    }

    #[test]
    fn schema_is_versioned() {
        let s = SqliteStore::in_memory().unwrap();
        let v: i64 = lock(&s.inner.writer)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }
}
