//! The dead-letter queue of a queue: listing what it dead-lettered and
//! moving it back (redrive). Dead-lettering itself happens on the way of a
//! receive (see `receive.rs`), as SQS does.

use super::Queue;
use orders_core::error::StoreError;
use orders_sqlite::now_epoch_millis;
use rusqlite::params;

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

/// What a [`Queue::redrive_ids`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveOutcome {
    /// How many dead letters moved back.
    pub moved: usize,
    /// The ids asked for that were not dead letters of this queue.
    pub not_found: Vec<String>,
}

impl Queue {
    /// The redrive of `orders-admin dlq redrive` and the status page: the
    /// dead letters `ids` (every one when `ids` is empty) back to this
    /// queue, with the asked-for ids that were not among them.
    pub async fn redrive_ids(&self, ids: Vec<String>) -> Result<RedriveOutcome, StoreError> {
        if ids.is_empty() {
            let moved = self.redrive(Redrive::All).await?;
            return Ok(RedriveOutcome {
                moved,
                not_found: Vec::new(),
            });
        }
        let dead: Vec<String> = self
            .list_dead_letters()
            .await?
            .into_iter()
            .map(|d| d.message_id)
            .collect();
        let not_found = ids
            .iter()
            .filter(|id| !dead.contains(id))
            .cloned()
            .collect();
        let moved = self.redrive(Redrive::Ids(ids)).await?;
        Ok(RedriveOutcome { moved, not_found })
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
                let tx = c.savepoint()?;
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
}
