//! This crate's tables in the store's file, created by [`migrate`], which
//! whoever opens the file passes to
//! [`SqliteStore::open_with`](orders_sqlite::SqliteStore::open_with).
//!
//! They have kept their first shape (the store's schema created them, at its
//! versions 2 and 3, before each stand-in owned its tables), so creating
//! them where missing is the whole migration, for a new file and an old one
//! alike. A change to them adds a step here that reads a version of this
//! crate's own, not the store's `user_version`.

use orders_sqlite::rusqlite::{self, Connection};

/// The embedded queues. Times are epoch milliseconds. A dead-lettered
/// message keeps its row: `queue` becomes the dead-letter queue and
/// `source_queue` remembers where it came from.
const QUEUES: &str = "
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

/// The notifications the local host "sent" (recorded instead,
/// [`crate::notifier::RecordingNotifier`]). Times are epoch milliseconds;
/// `channels` is a comma-separated list (`email,sms`).
const SENT_NOTIFICATIONS: &str = "
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

/// Creates the queues' and the sent notifications' tables where missing
/// (an [`orders_sqlite::Migration`]).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(QUEUES)?;
    conn.execute_batch(SENT_NOTIFICATIONS)
}
