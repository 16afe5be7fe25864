//! The executor's tables in the store's file: [`MIGRATION`], which whoever
//! opens the file passes to
//! [`SqliteStore::open_with`](orders_sqlite::SqliteStore::open_with).
//!
//! Step 1 is the tables' first shape, as the store's schema created them (at
//! its version 5) before each stand-in owned its tables, with
//! `IF NOT EXISTS`, so files from then take it unchanged. A change to them
//! is a new step appended here.

use orders_sqlite::Migration;

/// `sfn_executions`: one row per
/// execution (unique per state machine and name, like Standard workflows):
/// while RUNNING, the state it stands in (`current_state`, entered and not
/// finished), that state's raw input, the retries each of its retriers made
/// (`retry_counts`, a JSON array) and when its next attempt is due
/// (`retry_due_at`); `version` counts committed steps so two drivers can
/// never both move one execution. `sfn_history` holds one row per event.
/// Times are epoch milliseconds; inputs and outputs are JSON text.
const EXECUTIONS_V1: &str = "
CREATE TABLE IF NOT EXISTS sfn_executions (
    state_machine TEXT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT')),
    input         TEXT NOT NULL,
    output        TEXT,
    error         TEXT,
    cause         TEXT,
    current_state TEXT,
    state_input   TEXT,
    retry_counts  TEXT NOT NULL DEFAULT '[]',
    retry_due_at  INTEGER,
    version       INTEGER NOT NULL DEFAULT 0,
    started_at    INTEGER NOT NULL,
    stopped_at    INTEGER,
    PRIMARY KEY (state_machine, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sfn_executions_by_start ON sfn_executions (state_machine, started_at);
CREATE INDEX IF NOT EXISTS sfn_executions_by_status ON sfn_executions (state_machine, status, started_at);
CREATE TABLE IF NOT EXISTS sfn_history (
    state_machine TEXT NOT NULL,
    name          TEXT NOT NULL,
    event_id      INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    state         TEXT,
    at            INTEGER NOT NULL,
    input         TEXT,
    output        TEXT,
    error         TEXT,
    cause         TEXT,
    due_at        INTEGER,
    PRIMARY KEY (state_machine, name, event_id)
) WITHOUT ROWID;
";

/// The executions' and their history's tables.
pub const MIGRATION: Migration = Migration {
    component: "orders-local-sfn",
    steps: &[EXECUTIONS_V1],
};
