//! The local host's queues for `/local/queues`, `/local/summary` and the
//! status page: depths, dead letters, and the redrive (the same operation
//! as `orders-admin dlq redrive`: [`Queue::redrive_ids`]).

use crate::pipeline;
use crate::state::AppState;
use chrono::{DateTime, SecondsFormat, Utc};
use orders_core::OrdersError;
use orders_local_aws::queue::Queue;
use serde_json::{json, Map, Value};

/// How much of a dead letter's body the listing shows.
const PREVIEW_CHARS: usize = 200;

/// The outbox's length and each queue's `visible`, `inFlight` and
/// `deadLetters`: `{"outbox": n, "queues": {name: {...}}}`.
pub(crate) async fn depths(state: &AppState) -> Result<Value, OrdersError> {
    let (events, notifications) = pipeline::queues(&state.store)?;
    let mut out = Map::new();
    for q in [events, notifications] {
        let s = q.stats().await?;
        out.insert(
            q.name().to_string(),
            json!({"visible": s.visible, "inFlight": s.in_flight, "deadLetters": s.dead_letters}),
        );
    }
    let outbox = state.store.outbox_len().await?;
    Ok(json!({ "outbox": outbox, "queues": out }))
}

/// The host's queue called `name`.
fn queue(state: &AppState, name: &str) -> Result<Option<Queue>, OrdersError> {
    let (events, notifications) = pipeline::queues(&state.store)?;
    Ok([events, notifications]
        .into_iter()
        .find(|q| q.name() == name))
}

fn time(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// `GET /local/queues/{queue}/dead-letters`, oldest first; `None` for a
/// queue the host does not have.
pub(crate) async fn dead_letters(
    state: &AppState,
    name: &str,
) -> Result<Option<Value>, OrdersError> {
    let Some(q) = queue(state, name)? else {
        return Ok(None);
    };
    let letters: Vec<Value> = q
        .list_dead_letters()
        .await?
        .into_iter()
        .map(|d| {
            json!({
                "messageId": d.message_id,
                "receiveCount": d.receive_count,
                "sentAt": time(d.sent_at_ms),
                "firstReceivedAt": d.first_received_at_ms.and_then(time),
                "deadLetteredAt": time(d.dead_lettered_at_ms),
                "bodyPreview": d.body.chars().take(PREVIEW_CHARS).collect::<String>(),
            })
        })
        .collect();
    Ok(Some(json!({
        "queue": q.name(),
        "deadLetterQueue": q.config().dead_letter_queue,
        "count": letters.len(),
        "deadLetters": letters,
    })))
}

/// The `messageIds` of a redrive body: none (an empty body, `{}`) means
/// every dead letter.
fn redrive_ids(body: &[u8]) -> Result<Vec<String>, OrdersError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| OrdersError::MalformedJson(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(OrdersError::invalid("", "must be a JSON object"));
    };
    let mut ids = Vec::new();
    for (k, v) in fields {
        if k != "messageIds" {
            return Err(OrdersError::invalid(k, "is not a known field (messageIds)"));
        }
        let problem = || OrdersError::invalid("messageIds", "must be an array of message ids");
        for id in v.as_array().ok_or_else(problem)? {
            match id.as_str() {
                Some(id) if !id.is_empty() => ids.push(id.to_string()),
                _ => return Err(problem()),
            }
        }
    }
    Ok(ids)
}

/// `POST /local/queues/{queue}/redrive`: `{"queue", "moved", "notFound"}`;
/// `None` for a queue the host does not have.
pub(crate) async fn redrive(
    state: &AppState,
    name: &str,
    body: &[u8],
) -> Result<Option<Value>, OrdersError> {
    let ids = redrive_ids(body)?;
    let Some(q) = queue(state, name)? else {
        return Ok(None);
    };
    let done = q.redrive_ids(ids).await?;
    tracing::info!(
        queue = name,
        moved = done.moved,
        "dead letters redriven from the status page"
    );
    Ok(Some(json!({
        "queue": q.name(),
        "moved": done.moved,
        "notFound": done.not_found,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrive_bodies() {
        assert!(redrive_ids(b"").unwrap().is_empty());
        assert!(redrive_ids(b"{}").unwrap().is_empty());
        assert_eq!(
            redrive_ids(br#"{"messageIds":["a","b"]}"#).unwrap(),
            vec!["a", "b"]
        );
        assert!(matches!(
            redrive_ids(b"{"),
            Err(OrdersError::MalformedJson(_))
        ));
        for bad in [
            &br#"[]"#[..],
            br#"{"ids":["a"]}"#,
            br#"{"messageIds":"a"}"#,
            br#"{"messageIds":[1]}"#,
            br#"{"messageIds":[""]}"#,
        ] {
            assert!(
                matches!(redrive_ids(bad), Err(OrdersError::Validation(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
