//! The local host's dead-letter queues, on its SQLite file.

use crate::report::{time, Letter, Listing, Output, Redriven};
use crate::{AdminError, Target};
use orders_local_aws::queue::{Queue, QueueConfig};
use orders_sqlite::SqliteStore;
use std::collections::BTreeMap;

/// The queue `target` names, on the existing store file.
fn open(target: &Target) -> Result<Queue, AdminError> {
    if !target.db.is_file() {
        return Err(AdminError::NoStore(target.db.clone()));
    }
    let store = SqliteStore::open_with(&target.db, &[orders_local_aws::MIGRATION])?;
    Ok(Queue::new(store, QueueConfig::new(target.queue.clone()))?)
}

pub async fn list(target: &Target, peek: usize) -> Result<Output, AdminError> {
    let queue = open(target)?;
    let stats = queue.stats().await?;
    let messages = if peek > 0 {
        let mut letters = Vec::new();
        for d in queue.list_dead_letters().await?.into_iter().take(peek) {
            letters.push(Letter {
                first_received_at: d.first_received_at_ms.and_then(time),
                message_id: d.message_id,
                receive_count: d.receive_count,
                sent_at: time(d.sent_at_ms),
                dead_lettered_at: time(d.dead_lettered_at_ms),
                source_arn: None,
                attributes: BTreeMap::new(),
                body: d.body,
            });
        }
        Some(letters)
    } else {
        None
    };
    Ok(Output::Listing(Listing {
        backend: "local",
        dead_letter_queue: queue.config().dead_letter_queue.clone(),
        source_queue: Some(queue.name().to_string()),
        db: Some(target.db.display().to_string()),
        count: stats.dead_letters,
        in_flight: None,
        source_visible: Some(stats.visible),
        source_in_flight: Some(stats.in_flight),
        messages,
    }))
}

pub async fn redrive(target: &Target, ids: Vec<String>) -> Result<Output, AdminError> {
    let queue = open(target)?;
    let done = queue.redrive_ids(ids).await?;
    Ok(Output::Redriven(Redriven {
        backend: "local",
        dead_letter_queue: queue.config().dead_letter_queue.clone(),
        method: "local",
        moved: Some(done.moved),
        copied_not_deleted: None,
        failed: None,
        destination: Some(queue.name().to_string()),
        task: None,
        not_found: done.not_found,
    }))
}
