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

use orders_core::error::StoreError;
use orders_sqlite::{now_epoch_millis, SqliteStore};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

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

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub message_id: String,
    pub body: String,
    /// Valid until the message is received again.
    pub receipt_handle: String,
    /// Including this receive (1 on the first).
    pub receive_count: u32,
    /// Epoch milliseconds.
    pub sent_at_ms: i64,
    /// Epoch milliseconds of the first receive.
    pub first_received_at_ms: i64,
}

/// A message in the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    pub body: String,
    pub receive_count: u32,
    pub sent_at_ms: i64,
    /// Epoch milliseconds of its first receive (`None` if it never had one).
    pub first_received_at_ms: Option<i64>,
    pub dead_lettered_at_ms: i64,
}

/// Which dead letters to move back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redrive {
    All,
    Ids(Vec<String>),
}

/// Approximate counts, as SQS reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Ready to be received.
    pub visible: u64,
    /// Received and not yet deleted or visible again.
    pub in_flight: u64,
    /// In the dead-letter queue, from this queue.
    pub dead_letters: u64,
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

    /// Enqueues `body`, visible at once. Returns the message id.
    pub async fn send(&self, body: impl Into<String>) -> Result<String, StoreError> {
        let id = Uuid::now_v7().to_string();
        let (queue, body, message_id) = (self.config.name.clone(), body.into(), id.clone());
        self.store
            .with_writer(move |c| enqueue_on(c, &queue, &message_id, &body, now_epoch_millis()))
            .await?;
        self.wake();
        Ok(id)
    }

    /// Receives up to `max` (1 to 10) messages, hiding them for `visibility`.
    /// With `wait` > 0, waits up to that long for the first message (long
    /// polling) and returns as soon as there is one.
    pub async fn receive(
        &self,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, StoreError> {
        if max == 0 || max > MAX_BATCH {
            return Err(StoreError::Other(format!(
                "max must be 1 to {MAX_BATCH}, not {max}"
            )));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Register before looking, so a send between the look and the
            // wait still wakes us.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();

            let config = self.config.clone();
            let (messages, next_visible_at) = self
                .store
                .with_writer(move |c| receive_on(c, &config, max, visibility))
                .await?;
            if !messages.is_empty() {
                return Ok(messages);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(messages);
            }
            let mut nap = (deadline - now).min(POLL_INTERVAL);
            if let Some(at) = next_visible_at {
                let until = u64::try_from(at - now_epoch_millis()).unwrap_or(0);
                nap = nap.min(Duration::from_millis(until.max(1)));
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    /// Deletes the message `receipt_handle` was issued for. `false` when the
    /// handle is stale (the message was received again since) or the message
    /// is gone; nothing is deleted then.
    pub async fn delete(&self, receipt_handle: &str) -> Result<bool, StoreError> {
        let (queue, receipt) = (self.config.name.clone(), receipt_handle.to_string());
        self.store
            .with_writer(move |c| {
                c.prepare_cached("DELETE FROM queue_messages WHERE queue = ?1 AND receipt = ?2")?
                    .execute(params![queue, receipt])
                    .map(|n| n > 0)
            })
            .await
    }

    /// Deletes the messages of several receipt handles in one transaction
    /// (SQS `DeleteMessageBatch`); how many were deleted. Stale handles are
    /// skipped, as by [`Queue::delete`].
    pub async fn delete_batch(&self, receipt_handles: &[&str]) -> Result<usize, StoreError> {
        if receipt_handles.is_empty() {
            return Ok(0);
        }
        let queue = self.config.name.clone();
        let receipts: Vec<String> = receipt_handles.iter().map(|r| r.to_string()).collect();
        self.store
            .with_writer(move |c| {
                let tx = c.transaction()?;
                let mut deleted = 0;
                {
                    let mut stmt = tx.prepare_cached(
                        "DELETE FROM queue_messages WHERE queue = ?1 AND receipt = ?2",
                    )?;
                    for r in &receipts {
                        deleted += stmt.execute(params![queue, r])?;
                    }
                }
                tx.commit()?;
                Ok(deleted)
            })
            .await
    }

    /// Makes an in-flight message visible again after `visibility` from now
    /// (zero: at once). `false` when the handle is stale or the message is no
    /// longer in flight (its visibility timeout already ran out).
    pub async fn change_visibility(
        &self,
        receipt_handle: &str,
        visibility: Duration,
    ) -> Result<bool, StoreError> {
        let (queue, receipt) = (self.config.name.clone(), receipt_handle.to_string());
        let changed = self
            .store
            .with_writer(move |c| {
                let now = now_epoch_millis();
                c.prepare_cached(
                    "UPDATE queue_messages SET visible_at = ?3 \
                     WHERE queue = ?1 AND receipt = ?2 AND visible_at > ?4",
                )?
                .execute(params![
                    queue,
                    receipt,
                    now.saturating_add(millis(visibility)),
                    now
                ])
                .map(|n| n > 0)
            })
            .await?;
        if changed && visibility.is_zero() {
            self.wake();
        }
        Ok(changed)
    }

    /// The messages this queue dead-lettered, oldest first.
    pub async fn list_dead_letters(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let config = self.config.clone();
        self.store
            .with_reader(move |c| {
                c.prepare_cached(
                    "SELECT message_id, body, receive_count, sent_at, first_received_at, \
                     dead_lettered_at \
                     FROM queue_messages WHERE queue = ?1 AND source_queue = ?2 ORDER BY seq",
                )?
                .query_map(params![config.dead_letter_queue, config.name], |r| {
                    Ok(DeadLetter {
                        message_id: r.get(0)?,
                        body: r.get(1)?,
                        receive_count: r.get(2)?,
                        sent_at_ms: r.get(3)?,
                        first_received_at_ms: r.get(4)?,
                        dead_lettered_at_ms: r.get::<_, Option<i64>>(5)?.unwrap_or_default(),
                    })
                })?
                .collect()
            })
            .await
    }

    /// Moves dead letters of this queue back to it, visible at once, with
    /// their receive count reset. Returns how many moved; unknown ids are
    /// skipped.
    pub async fn redrive(&self, which: Redrive) -> Result<usize, StoreError> {
        let config = self.config.clone();
        let moved = self
            .store
            .with_writer(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let now = now_epoch_millis();
                let base = "UPDATE queue_messages SET queue = ?2, source_queue = NULL, \
                            receive_count = 0, receipt = NULL, visible_at = ?3, \
                            first_received_at = NULL, dead_lettered_at = NULL \
                            WHERE queue = ?1 AND source_queue = ?2";
                let mut moved = 0;
                match &which {
                    Redrive::All => {
                        moved += tx.prepare_cached(base)?.execute(params![
                            config.dead_letter_queue,
                            config.name,
                            now
                        ])?;
                    }
                    Redrive::Ids(ids) => {
                        let mut stmt = tx.prepare_cached(&format!("{base} AND message_id = ?4"))?;
                        for id in ids {
                            moved += stmt.execute(params![
                                config.dead_letter_queue,
                                config.name,
                                now,
                                id
                            ])?;
                        }
                    }
                }
                tx.commit()?;
                Ok(moved)
            })
            .await?;
        if moved > 0 {
            tracing::info!(moved, queue = self.name(), "dead letters redriven");
            self.wake();
        }
        Ok(moved)
    }

    /// Approximate counts of this queue and its dead letters.
    pub async fn stats(&self) -> Result<QueueStats, StoreError> {
        let config = self.config.clone();
        self.store
            .with_reader(move |c| {
                let now = now_epoch_millis();
                let (visible, in_flight): (i64, i64) = c
                    .prepare_cached(
                        "SELECT COALESCE(SUM(visible_at <= ?2), 0), COALESCE(SUM(visible_at > ?2), 0) \
                         FROM queue_messages WHERE queue = ?1",
                    )?
                    .query_row(params![config.name, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let dead_letters: i64 = c
                    .prepare_cached(
                        "SELECT COUNT(*) FROM queue_messages WHERE queue = ?1 AND source_queue = ?2",
                    )?
                    .query_row(params![config.dead_letter_queue, config.name], |r| r.get(0))?;
                Ok(QueueStats {
                    visible: visible as u64,
                    in_flight: in_flight as u64,
                    dead_letters: dead_letters as u64,
                })
            })
            .await
    }
}

/// Inserts a message into `queue`, visible at once, inside the caller's
/// transaction (or on its own). A message id already present, on any queue,
/// is not inserted again: `false` then.
pub(crate) fn enqueue_on(
    conn: &Connection,
    queue: &str,
    message_id: &str,
    body: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "INSERT INTO queue_messages (queue, message_id, body, sent_at, visible_at) \
         VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (message_id) DO NOTHING",
    )?
    .execute(params![queue, message_id, body, now])
    .map(|n| n > 0)
}

/// One receive attempt, in one transaction: takes up to `max` visible
/// messages in the order they became visible (send order for new ones),
/// dead-lettering on the way those that have used up their receives. With
/// nothing to return, also gives the time the next hidden message
/// reappears, if any.
///
/// Every lookup walks the `(queue, visible_at, seq)` index from its start
/// and stops after `max` rows, so a receive costs the same with 10 or
/// 100,000 messages waiting.
fn receive_on(
    conn: &mut Connection,
    config: &QueueConfig,
    max: usize,
    visibility: Duration,
) -> rusqlite::Result<(Vec<Message>, Option<i64>)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = now_epoch_millis();
    let mut candidates: Vec<(i64, String, String, u32, i64, Option<i64>)> = Vec::new();
    let mut dead = 0;
    {
        let mut select = tx.prepare_cached(
            "SELECT seq, message_id, body, receive_count, sent_at, first_received_at \
             FROM queue_messages WHERE queue = ?1 AND visible_at <= ?2 \
             ORDER BY visible_at, seq LIMIT ?3",
        )?;
        let mut dead_letter = tx.prepare_cached(
            "UPDATE queue_messages SET queue = ?2, source_queue = ?1, receipt = NULL, \
             visible_at = ?3, dead_lettered_at = ?3 WHERE seq = ?4",
        )?;
        // Dead-lettered rows leave the queue, so each round sees new ones.
        loop {
            let rows: Vec<(i64, String, String, u32, i64, Option<i64>)> = select
                .query_map(params![config.name, now, max as i64], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let exhausted = rows.len() < max;
            let mut moved = 0;
            for row in rows {
                if row.3 >= config.max_receives {
                    dead_letter.execute(params![
                        config.name,
                        config.dead_letter_queue,
                        now,
                        row.0
                    ])?;
                    moved += 1;
                } else {
                    candidates.push(row);
                }
            }
            dead += moved;
            // The rows kept are still visible (and would be selected again),
            // so one round decides unless it only dead-lettered.
            if exhausted || moved == 0 || !candidates.is_empty() {
                break;
            }
        }
    }
    candidates.truncate(max);
    if dead > 0 {
        tracing::warn!(
            messages = dead,
            queue = %config.name,
            dead_letter_queue = %config.dead_letter_queue,
            "messages dead-lettered after {} receives",
            config.max_receives
        );
    }
    let hidden_until = now.saturating_add(millis(visibility));
    let mut messages = Vec::with_capacity(candidates.len());
    {
        let mut take = tx.prepare_cached(
            "UPDATE queue_messages SET receive_count = receive_count + 1, receipt = ?2, \
             visible_at = ?3, first_received_at = ?4 WHERE seq = ?1",
        )?;
        for (seq, message_id, body, count, sent_at, first) in candidates {
            let receipt = Uuid::now_v7().simple().to_string();
            let first = first.unwrap_or(now);
            take.execute(params![seq, receipt, hidden_until, first])?;
            messages.push(Message {
                message_id,
                body,
                receipt_handle: receipt,
                receive_count: count + 1,
                sent_at_ms: sent_at,
                first_received_at_ms: first,
            });
        }
    }
    let next_visible_at = if messages.is_empty() {
        tx.prepare_cached("SELECT MIN(visible_at) FROM queue_messages WHERE queue = ?1")?
            .query_row([&config.name], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten()
    } else {
        None
    };
    tx.commit()?;
    Ok((messages, next_visible_at))
}
