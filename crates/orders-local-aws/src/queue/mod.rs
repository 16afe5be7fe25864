//! An embedded, durable queue with the semantics of an SQS standard queue
//! and its redrive policy, on the store's SQLite file (table
//! `queue_messages`; the local stand-in for the processing queue, flow step
//! 3, and for the notifications topic).
//!
//! - [`Queue::receive`] returns up to 10 visible messages and hides them for
//!   the visibility timeout; each receive increments the message's receive
//!   count and issues a new receipt handle. `wait` > 0 long-polls: the call
//!   returns as soon as a message is available, or empty after `wait`.
//! - [`Queue::delete`] and [`Queue::change_visibility`] take the receipt handle
//!   of the latest receive; a stale handle (the message was received again
//!   since) matches nothing, so a slow consumer cannot delete a message
//!   another consumer now owns.
//! - A message that was received `max_receives` times (default 3) and becomes
//!   visible again is moved to the dead-letter queue instead of being
//!   delivered a further time, as SQS does on the next receive attempt.
//!   [`Queue::redrive`] moves dead letters back with their receive count reset.
//! - Every state change is one SQLite transaction on the writer connection,
//!   so the queue survives a crash or restart exactly as it was committed.
//!
//! Times are wall-clock epoch milliseconds (they must survive a restart); a
//! clock step only shifts when in-flight messages reappear.
//!
//! One file per concern: `send.rs` (enqueue), `receive.rs` (long polling,
//! the index walk, visibility, dead-lettering on the way), `receipts.rs`
//! (delete, delete batch, change visibility), `dead_letters.rs` (list,
//! redrive), `stats.rs` (approximate counts).

mod dead_letters;
mod receipts;
mod receive;
mod send;
mod stats;

pub use dead_letters::{DeadLetter, Redrive, RedriveOutcome};
pub use receive::Message;
pub(crate) use send::enqueue_on;
pub use stats::QueueStats;

use orders_core::error::StoreError;
use orders_sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Most messages one receive returns (as SQS).
pub const MAX_BATCH: usize = 10;
/// Receives before a message is dead-lettered, unless configured otherwise.
pub const DEFAULT_MAX_RECEIVES: u32 = 3;
/// How often a long poll looks at the table while nothing in this process
/// wakes it (a send from another process, a visibility timeout elapsing).
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A queue and its redrive policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    pub name: String,
    /// Where messages go after `max_receives` receives.
    pub dead_letter_queue: String,
    /// At least 1.
    pub max_receives: u32,
}

impl QueueConfig {
    /// `name` with dead-letter queue `<name>-dlq` after 3 receives.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            dead_letter_queue: format!("{name}-dlq"),
            name,
            max_receives: DEFAULT_MAX_RECEIVES,
        }
    }

    pub fn with_max_receives(mut self, max_receives: u32) -> Self {
        self.max_receives = max_receives;
        self
    }

    pub fn with_dead_letter_queue(mut self, dead_letter_queue: impl Into<String>) -> Self {
        self.dead_letter_queue = dead_letter_queue.into();
        self
    }
}

/// A handle on one queue of a store. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    store: SqliteStore,
    config: Arc<QueueConfig>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Queue {
    pub fn new(store: SqliteStore, config: QueueConfig) -> Result<Self, StoreError> {
        if config.max_receives == 0 {
            return Err(StoreError::Other("max_receives must be at least 1".into()));
        }
        if config.name.is_empty() || config.name == config.dead_letter_queue {
            return Err(StoreError::Other(
                "a queue needs a name and a different dead-letter queue".into(),
            ));
        }
        let wake = store.waker(&format!("queue:{}", config.name));
        Ok(Self {
            store,
            config: Arc::new(config),
            wake,
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    /// Wakes this queue's long polls in this process.
    pub(crate) fn wake(&self) {
        self.wake.notify_waiters();
    }
}
