//! This crate's tables in the store's file: [`MIGRATION`], which whoever
//! opens the file passes to
//! [`SqliteStore::open_with`](orders_sqlite::SqliteStore::open_with).
//!
//! Step 1 is the tables' first shape, as the store's schema created them (at
//! its versions 2 and 3) before each stand-in owned its tables, with
//! `IF NOT EXISTS`, so files from then take it unchanged. A change to them
//! is a new step appended here.

use orders_sqlite::Migration;

/// The embedded queues (`queue_messages`) and the notifications the local
/// host "sent" (`sent_notifications`, recorded instead,
/// [`crate::notifier::RecordingNotifier`]). Times are epoch milliseconds. A
/// dead-lettered message keeps its row: `queue` becomes the dead-letter
/// queue and `source_queue` remembers where it came from. `channels` is a
/// comma-separated list (`email,sms`).
const QUEUES_AND_SENT_NOTIFICATIONS_V1: &str = "
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

/// The queues' and the sent notifications' tables.
pub const MIGRATION: Migration = Migration {
    component: "orders-local-aws",
    steps: &[QUEUES_AND_SENT_NOTIFICATIONS_V1],
};
