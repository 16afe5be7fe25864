//! What the read API returns: executions, their status and their history
//! (`/local/executions`), serialized camelCase.

use crate::engine::EventType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An execution's status, as Step Functions names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Running, Self::Succeeded, Self::Failed, Self::TimedOut]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One execution, as `/local/executions` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    pub name: String,
    pub state_machine: String,
    pub status: ExecutionStatus,
    /// The state it stands in while RUNNING.
    pub current_state: Option<String>,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// One history event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// 1, 2, ... in the order they happened.
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub state: Option<String>,
    pub timestamp: DateTime<Utc>,
    pub input: Option<Value>,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// RetryScheduled: when the next attempt is due.
    pub due_at: Option<DateTime<Utc>>,
}

/// An execution with its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDetail {
    #[serde(flatten)]
    pub execution: ExecutionSummary,
    pub history: Vec<HistoryEvent>,
}

impl ExecutionDetail {
    /// The states entered, in order (a retried state appears once per entry).
    pub fn visited_states(&self) -> Vec<String> {
        self.history
            .iter()
            .filter(|e| e.event_type == EventType::StateEntered)
            .filter_map(|e| e.state.clone())
            .collect()
    }
}
