//! Receiving: long polling, and one receive attempt that walks the index,
//! dead-letters on the way the messages that used up their receives, and
//! hides the rest for the visibility timeout under a new receipt handle.

use super::{millis, Queue, QueueConfig, MAX_BATCH, POLL_INTERVAL};
use orders_core::error::StoreError;
use orders_sqlite::now_epoch_millis;
use rusqlite::{params, Connection, OptionalExtension};
use std::time::Duration;
use uuid::Uuid;

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

impl Queue {
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
    let tx = conn.savepoint()?;
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
