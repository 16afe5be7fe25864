//! The executions and their history on the store's file (`sfn_executions`,
//! `sfn_history`; orders-sqlite's schema version 5), and the read models of
//! the host's `/local/executions`.

use crate::engine::{Event, EventType};
use crate::error::{ExecutorError, TaskError};
use chrono::{DateTime, TimeZone, Utc};
use orders_sqlite::SqliteStore;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

pub use crate::records::{ExecutionDetail, ExecutionStatus, ExecutionSummary, HistoryEvent};

/// The driver's view of a RUNNING execution.
#[derive(Debug, Clone)]
pub(crate) struct Progress {
    pub(crate) status: ExecutionStatus,
    pub(crate) current_state: Option<String>,
    pub(crate) state_input: Option<Value>,
    pub(crate) retry_counts: Vec<u32>,
    pub(crate) retry_due_at: Option<i64>,
    pub(crate) version: i64,
    pub(crate) started_at: i64,
}

/// What a committed step leaves the execution as.
#[derive(Debug, Clone)]
pub(crate) enum Update {
    Running {
        state: String,
        input: Value,
        retry_counts: Vec<u32>,
        retry_due_at: Option<i64>,
    },
    Finished {
        status: ExecutionStatus,
        output: Option<Value>,
        error: Option<TaskError>,
        at: i64,
    },
}

fn json_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

fn parse_json(text: Option<String>) -> rusqlite::Result<Option<Value>> {
    text.map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

fn corrupt(what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, what.into())
}

fn status(text: String) -> rusqlite::Result<ExecutionStatus> {
    ExecutionStatus::parse(&text).ok_or_else(|| corrupt(format!("unknown execution status {text}")))
}

fn apply(
    conn: &Connection,
    sm: &str,
    name: &str,
    update: &Update,
    version: i64,
) -> rusqlite::Result<usize> {
    match update {
        Update::Running { state, input, retry_counts, retry_due_at } => conn
            .prepare_cached(
                "UPDATE sfn_executions SET current_state = ?1, state_input = ?2, retry_counts = ?3, \
                 retry_due_at = ?4, version = version + 1 \
                 WHERE state_machine = ?5 AND name = ?6 AND version = ?7 AND status = 'RUNNING'",
            )?
            .execute(params![
                state,
                input.to_string(),
                serde_json::to_string(retry_counts).unwrap_or_else(|_| "[]".into()),
                retry_due_at,
                sm,
                name,
                version
            ]),
        Update::Finished { status, output, error, at } => conn
            .prepare_cached(
                "UPDATE sfn_executions SET status = ?1, output = ?2, error = ?3, cause = ?4, \
                 stopped_at = ?5, current_state = NULL, state_input = NULL, retry_counts = '[]', \
                 retry_due_at = NULL, version = version + 1 \
                 WHERE state_machine = ?6 AND name = ?7 AND version = ?8 AND status = 'RUNNING'",
            )?
            .execute(params![
                status.as_str(),
                json_text(output),
                error.as_ref().map(|e| e.error.as_str()),
                error.as_ref().map(|e| e.cause.as_str()),
                at,
                sm,
                name,
                version
            ]),
    }
}

fn append(conn: &Connection, sm: &str, name: &str, events: &[Event]) -> rusqlite::Result<()> {
    let last: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(event_id), 0) FROM sfn_history WHERE state_machine = ?1 AND name = ?2")?
        .query_row(params![sm, name], |r| r.get(0))?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO sfn_history (state_machine, name, event_id, event_type, state, at, input, output, error, cause, due_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (i, e) in events.iter().enumerate() {
        insert.execute(params![
            sm,
            name,
            last + 1 + i as i64,
            e.kind.as_str(),
            e.state,
            e.at,
            json_text(&e.input),
            json_text(&e.output),
            e.error.as_ref().map(|x| x.error.as_str()),
            e.error.as_ref().map(|x| x.cause.as_str()),
            e.due_at
        ])?;
    }
    Ok(())
}

/// Inserts a new execution with its first events; `false` if the name exists.
pub(crate) async fn insert(
    store: &SqliteStore,
    sm: String,
    name: String,
    input: Value,
    now: i64,
    update: Update,
    events: Vec<Event>,
) -> Result<bool, ExecutorError> {
    Ok(store
        .with_writer(move |conn| {
            let tx = conn.savepoint()?;
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO sfn_executions (state_machine, name, status, input, started_at) \
                     VALUES (?1, ?2, 'RUNNING', ?3, ?4) ON CONFLICT DO NOTHING",
                )?
                .execute(params![sm, name, input.to_string(), now])?;
            if inserted == 0 {
                return Ok(false);
            }
            apply(&tx, &sm, &name, &update, 0)?;
            append(&tx, &sm, &name, &events)?;
            tx.commit()?;
            Ok(true)
        })
        .await?)
}

/// Commits one step: the execution's new state and its events, in one
/// transaction, if nobody moved it since `version`; `false` otherwise.
pub(crate) async fn commit(
    store: &SqliteStore,
    sm: String,
    name: String,
    version: i64,
    update: Update,
    events: Vec<Event>,
) -> Result<bool, ExecutorError> {
    Ok(store
        .with_writer(move |conn| {
            let tx = conn.savepoint()?;
            if apply(&tx, &sm, &name, &update, version)? == 0 {
                return Ok(false);
            }
            append(&tx, &sm, &name, &events)?;
            tx.commit()?;
            Ok(true)
        })
        .await?)
}

pub(crate) async fn progress(
    store: &SqliteStore,
    sm: String,
    name: String,
) -> Result<Option<Progress>, ExecutorError> {
    let row = store
        .with_reader(move |conn| {
            conn.prepare_cached(
                "SELECT status, current_state, state_input, retry_counts, retry_due_at, version, started_at \
                 FROM sfn_executions WHERE state_machine = ?1 AND name = ?2",
            )?
            .query_row(params![sm, name], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .optional()
        })
        .await?;
    let Some((st, current_state, input, counts, retry_due_at, version, started_at)) = row else {
        return Ok(None);
    };
    let bad = |e: &dyn std::fmt::Display| ExecutorError::Corrupt(e.to_string());
    Ok(Some(Progress {
        status: ExecutionStatus::parse(&st).ok_or_else(|| bad(&st))?,
        current_state,
        state_input: input
            .map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| bad(&e))?,
        retry_counts: serde_json::from_str(&counts).map_err(|e| bad(&e))?,
        retry_due_at,
        version,
        started_at,
    }))
}

/// The names of the RUNNING executions, oldest first.
pub(crate) async fn running(store: &SqliteStore, sm: String) -> Result<Vec<String>, ExecutorError> {
    Ok(store
        .with_reader(move |conn| {
            conn.prepare_cached(
                "SELECT name FROM sfn_executions WHERE state_machine = ?1 AND status = 'RUNNING' ORDER BY started_at, name",
            )?
            .query_map(params![sm], |r| r.get(0))?
            .collect()
        })
        .await?)
}

const SUMMARY: &str = "SELECT name, state_machine, status, current_state, input, output, error, cause, started_at, stopped_at \
                       FROM sfn_executions";

fn summary(r: &Row<'_>) -> rusqlite::Result<ExecutionSummary> {
    Ok(ExecutionSummary {
        name: r.get(0)?,
        state_machine: r.get(1)?,
        status: status(r.get(2)?)?,
        current_state: r.get(3)?,
        input: parse_json(r.get(4)?)?.unwrap_or(Value::Null),
        output: parse_json(r.get(5)?)?,
        error: r.get(6)?,
        cause: r.get(7)?,
        started_at: time(r.get(8)?),
        stopped_at: r.get::<_, Option<i64>>(9)?.map(time),
    })
}

/// Executions, newest first, optionally of one status.
pub(crate) async fn list(
    store: &SqliteStore,
    sm: String,
    filter: Option<ExecutionStatus>,
    limit: usize,
) -> Result<Vec<ExecutionSummary>, ExecutorError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    Ok(store
        .with_reader(move |conn| {
            let sql = format!(
                "{SUMMARY} WHERE state_machine = ?1 AND (?2 IS NULL OR status = ?2) \
                 ORDER BY started_at DESC, name DESC LIMIT ?3"
            );
            conn.prepare_cached(&sql)?
                .query_map(
                    params![sm, filter.map(ExecutionStatus::as_str), limit],
                    summary,
                )?
                .collect()
        })
        .await?)
}

/// One execution with its history.
pub(crate) async fn detail(
    store: &SqliteStore,
    sm: String,
    name: String,
) -> Result<Option<ExecutionDetail>, ExecutorError> {
    Ok(store
        .with_reader(move |conn| {
            let sql = format!("{SUMMARY} WHERE state_machine = ?1 AND name = ?2");
            let Some(execution) = conn.prepare_cached(&sql)?.query_row(params![sm, name], summary).optional()? else {
                return Ok(None);
            };
            let history = conn
                .prepare_cached(
                    "SELECT event_id, event_type, state, at, input, output, error, cause, due_at FROM sfn_history \
                     WHERE state_machine = ?1 AND name = ?2 ORDER BY event_id",
                )?
                .query_map(params![sm, name], |r| {
                    let kind: String = r.get(1)?;
                    Ok(HistoryEvent {
                        id: r.get(0)?,
                        event_type: EventType::parse(&kind).ok_or_else(|| corrupt(format!("unknown event {kind}")))?,
                        state: r.get(2)?,
                        timestamp: time(r.get(3)?),
                        input: parse_json(r.get(4)?)?,
                        output: parse_json(r.get(5)?)?,
                        error: r.get(6)?,
                        cause: r.get(7)?,
                        due_at: r.get::<_, Option<i64>>(8)?.map(time),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(ExecutionDetail { execution, history }))
        })
        .await?)
}
