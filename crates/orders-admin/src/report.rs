//! What the commands print: one value per command, as text or JSON.

use chrono::{TimeZone, Utc};
use orders_aws_messaging::dlq::{MoveTask, MoveTaskStatus};
use orders_core::model::format_timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// An epoch-milliseconds time as RFC 3339 (UTC, milliseconds).
pub fn time(ms: i64) -> Option<String> {
    Utc.timestamp_millis_opt(ms).single().map(format_timestamp)
}

/// A dead-letter queue's counts and, for `peek`, its messages.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// `local` or `aws`.
    pub backend: &'static str,
    /// Local: the queue name; AWS: its URL.
    pub dead_letter_queue: String,
    /// Local: the queue the dead letters came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_queue: Option<String>,
    /// Local: the database file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    /// Messages waiting in the dead-letter queue (AWS: approximate).
    pub count: u64,
    /// AWS: received and not yet deleted or visible again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<u64>,
    /// Local: the source queue's visible and in-flight messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_visible: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_in_flight: Option<u64>,
    /// `peek` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Letter>>,
}

/// One dead letter.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Letter {
    pub message_id: String,
    /// Receives before it was dead-lettered (AWS: plus any peeks since).
    pub receive_count: u32,
    pub sent_at: Option<String>,
    pub first_received_at: Option<String>,
    /// Local: when it moved to the dead-letter queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_lettered_at: Option<String>,
    /// AWS: the queue SQS moved it from, when SQS says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    /// AWS: the message attributes (Lambda's ErrorCode/ErrorMessage, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    pub body: String,
}

/// What a redrive did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Redriven {
    pub backend: &'static str,
    pub dead_letter_queue: String,
    /// `move-task` (SQS moves them in the background), `copy` (moved by
    /// this command) or `local`.
    pub method: &'static str,
    /// Messages moved back (copy, local).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved: Option<usize>,
    /// Copy: sent but still in the dead-letter queue too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copied_not_deleted: Option<usize>,
    /// Copy: not sent; still in the dead-letter queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<usize>,
    /// Where they went: local queue name, or queue URL/ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Move task: its handle (cancels it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<MoveTask>,
    /// Local: the ids asked for that were not dead letters of this queue.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_found: Vec<String>,
}

/// The move tasks of a dead-letter queue.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskList {
    pub dead_letter_queue: String,
    pub tasks: Vec<MoveTaskStatus>,
}

#[derive(Debug)]
pub enum Output {
    Listing(Listing),
    Redriven(Redriven),
    Tasks(TaskList),
}

pub fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl Output {
    pub fn to_json(&self) -> String {
        let value = match self {
            Self::Listing(l) => serde_json::to_string_pretty(l),
            Self::Redriven(r) => serde_json::to_string_pretty(r),
            Self::Tasks(t) => serde_json::to_string_pretty(t),
        };
        value.expect("reports serialize")
    }

    pub fn to_text(&self) -> String {
        let mut s = String::new();
        match self {
            Self::Listing(l) => {
                let _ = write!(s, "{}: {}", l.dead_letter_queue, plural(l.count, "message"));
                if let Some(n) = l.in_flight.filter(|n| *n > 0) {
                    let _ = write!(s, " (+{n} in flight)");
                }
                s.push('\n');
                if let (Some(q), Some(db)) = (&l.source_queue, &l.db) {
                    let _ = writeln!(
                        s,
                        "  dead letters of {q} in {db}; {q} has {} visible, {} in flight",
                        l.source_visible.unwrap_or_default(),
                        l.source_in_flight.unwrap_or_default()
                    );
                }
                if let Some(messages) = &l.messages {
                    if messages.is_empty() {
                        s.push_str("  (no messages to show)\n");
                    }
                    for m in messages {
                        let _ = writeln!(s, "\nmessage {}", m.message_id);
                        let _ = writeln!(s, "  receives        {}", m.receive_count);
                        let rows = [
                            ("sent", &m.sent_at),
                            ("first received", &m.first_received_at),
                            ("dead-lettered", &m.dead_lettered_at),
                            ("from", &m.source_arn),
                        ];
                        for (label, value) in rows {
                            if let Some(v) = value {
                                let _ = writeln!(s, "  {label:<15} {v}");
                            }
                        }
                        for (k, v) in &m.attributes {
                            let _ = writeln!(s, "  attribute       {k} = {v}");
                        }
                        let _ = writeln!(s, "  body            {}", m.body);
                    }
                }
            }
            Self::Redriven(r) => {
                match (r.method, &r.task) {
                    ("move-task", Some(t)) => {
                        let _ = writeln!(
                            s,
                            "{}: message move task started to {} (task {})",
                            r.dead_letter_queue,
                            t.destination_arn
                                .as_deref()
                                .unwrap_or("each message's source queue"),
                            t.task_handle
                        );
                        s.push_str(
                            "  follow it with: orders-admin dlq redrive-status --queue-url <url>\n",
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            s,
                            "{}: {} moved back to {}",
                            r.dead_letter_queue,
                            plural(r.moved.unwrap_or_default() as u64, "message"),
                            r.destination.as_deref().unwrap_or("the source queue")
                        );
                    }
                }
                if let Some(n) = r.copied_not_deleted.filter(|n| *n > 0) {
                    let _ = writeln!(s, "  {n} copied but not deleted: they will be delivered twice (consumers deduplicate)");
                }
                if let Some(n) = r.failed.filter(|n| *n > 0) {
                    let _ = writeln!(
                        s,
                        "  {n} not copied: still in the dead-letter queue; run again"
                    );
                }
                if !r.not_found.is_empty() {
                    let _ = writeln!(
                        s,
                        "  not dead letters of this queue: {}",
                        r.not_found.join(", ")
                    );
                }
            }
            Self::Tasks(t) => {
                if t.tasks.is_empty() {
                    let _ = writeln!(s, "{}: no message move tasks", t.dead_letter_queue);
                }
                for task in &t.tasks {
                    let _ = write!(
                        s,
                        "{}  {}  moved {}",
                        time(task.started_at_ms).unwrap_or_default(),
                        task.status,
                        task.messages_moved
                    );
                    if let Some(total) = task.messages_to_move {
                        let _ = write!(s, " of {total}");
                    }
                    if let Some(reason) = &task.failure_reason {
                        let _ = write!(s, "  ({reason})");
                    }
                    s.push('\n');
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_millis() {
        assert_eq!(
            time(1_795_312_893_123).as_deref(),
            Some("2026-11-22T02:01:33.123Z")
        );
    }

    #[test]
    fn text_of_a_listing() {
        let out = Output::Listing(Listing {
            backend: "local",
            dead_letter_queue: "order-events-dlq".into(),
            source_queue: Some("order-events".into()),
            db: Some("x.db".into()),
            count: 1,
            in_flight: None,
            source_visible: Some(0),
            source_in_flight: Some(2),
            messages: Some(vec![Letter {
                message_id: "m-1".into(),
                receive_count: 3,
                sent_at: time(0),
                first_received_at: None,
                dead_lettered_at: time(1000),
                source_arn: None,
                attributes: BTreeMap::new(),
                body: "{}".into(),
            }]),
        });
        let text = out.to_text();
        assert!(text.starts_with("order-events-dlq: 1 message\n"), "{text}");
        assert!(
            text.contains("order-events has 0 visible, 2 in flight"),
            "{text}"
        );
        assert!(
            text.contains("message m-1\n  receives        3\n"),
            "{text}"
        );
        assert!(
            text.contains("dead-lettered   1970-01-01T00:00:01.000Z"),
            "{text}"
        );
        assert!(!text.contains("first received"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&out.to_json()).unwrap();
        assert_eq!(json["messages"][0]["receiveCount"], 3);
        assert!(json.get("inFlight").is_none());
    }
}
