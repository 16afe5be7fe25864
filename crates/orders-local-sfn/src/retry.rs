//! `Retry` and `Catch`: which retrier or catcher an error picks, and how
//! long a retry waits.

use crate::error::{names, DefinitionError, TaskError};
use crate::fields::{optional_path, Fields};
use crate::path::ReferencePath;
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct Retrier {
    pub(crate) error_equals: Vec<String>,
    pub(crate) interval_seconds: f64,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_rate: f64,
    pub(crate) max_delay_seconds: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Catcher {
    pub(crate) error_equals: Vec<String>,
    pub(crate) result_path: Option<ReferencePath>,
    pub(crate) next: String,
}

impl Retrier {
    /// The wait before retry number `retries_done + 1`:
    /// `IntervalSeconds * BackoffRate^retries_done`, capped by
    /// `MaxDelaySeconds`, times `scale`.
    pub(crate) fn wait(&self, retries_done: u32, scale: f64) -> Duration {
        let exponent = i32::try_from(retries_done).unwrap_or(i32::MAX);
        let mut seconds = self.interval_seconds * self.backoff_rate.powi(exponent);
        if let Some(cap) = self.max_delay_seconds {
            seconds = seconds.min(cap);
        }
        Duration::from_secs_f64((seconds * scale).clamp(0.0, 365.0 * 86_400.0))
    }
}

/// What a task error leads to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Handling {
    /// Retry with retrier `index` (its count before this retry: `done`).
    Retry { index: usize, done: u32 },
    /// Go to catcher `index`.
    Catch(usize),
    /// Fail the execution.
    Fail,
}

/// The first retrier whose `ErrorEquals` matches decides: it retries while
/// it has attempts left, otherwise the first matching catcher (if any)
/// takes the error. `counts[i]`: retries retrier `i` already made.
pub(crate) fn handle(
    retry: &[Retrier],
    catch: &[Catcher],
    counts: &[u32],
    error: &TaskError,
) -> Handling {
    let matches = |list: &[String]| list.iter().any(|n| error.matches(n));
    if let Some(index) = retry.iter().position(|r| matches(&r.error_equals)) {
        let done = counts.get(index).copied().unwrap_or(0);
        if done < retry[index].max_attempts {
            return Handling::Retry { index, done };
        }
    }
    match catch.iter().position(|c| matches(&c.error_equals)) {
        Some(index) => Handling::Catch(index),
        None => Handling::Fail,
    }
}

pub(crate) fn check_retry_order(state: &str, retry: &[Retrier]) -> Result<(), DefinitionError> {
    for (i, r) in retry.iter().enumerate() {
        if r.error_equals.iter().any(|e| e == names::ALL)
            && (r.error_equals.len() > 1 || i + 1 < retry.len())
        {
            return Err(DefinitionError::state(
                state,
                "Retry.ErrorEquals",
                "may hold States.ALL only alone, in the last retrier",
            ));
        }
    }
    Ok(())
}

fn only(state: &str, parent: &str, m: Fields, allowed: &[&str]) -> Result<(), DefinitionError> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(DefinitionError::state(
            state,
            &format!("{parent}.{k}"),
            "is not supported",
        )),
        None => Ok(()),
    }
}

fn error_equals(state: &str, parent: &str, m: Fields) -> Result<Vec<String>, DefinitionError> {
    let list: Option<Vec<String>> = m
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect());
    list.filter(|l| !l.is_empty()).ok_or_else(|| {
        DefinitionError::state(
            state,
            &format!("{parent}.ErrorEquals"),
            "must be a non-empty array of error names",
        )
    })
}

pub(crate) fn retrier(state: &str, m: Fields) -> Result<Retrier, DefinitionError> {
    only(
        state,
        "Retry",
        m,
        &[
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        ],
    )?;
    let err = |f: &str, p: &str| DefinitionError::state(state, &format!("Retry.{f}"), p);
    let number = |f: &str, default: f64, ok: fn(f64) -> bool, p: &str| match m.get(f) {
        None => Ok(default),
        Some(v) => v.as_f64().filter(|x| ok(*x)).ok_or_else(|| err(f, p)),
    };
    let integer = |v: &Value| v.as_u64().map(|n| n as f64);
    let interval = match m.get("IntervalSeconds") {
        None => 1.0,
        Some(v) => integer(v)
            .filter(|n| *n >= 1.0)
            .ok_or_else(|| err("IntervalSeconds", "must be a positive integer"))?,
    };
    let max_attempts = match m.get("MaxAttempts") {
        None => 3,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| err("MaxAttempts", "must be a non-negative integer"))?,
    };
    let max_delay = match m.get("MaxDelaySeconds") {
        None => None,
        Some(v) => Some(
            integer(v)
                .filter(|n| *n >= 1.0)
                .ok_or_else(|| err("MaxDelaySeconds", "must be a positive integer"))?,
        ),
    };
    match m.get("JitterStrategy") {
        None => {}
        Some(Value::String(s)) if s == "NONE" => {}
        Some(_) => return Err(err("JitterStrategy", "is not supported (only \"NONE\")")),
    }
    Ok(Retrier {
        error_equals: error_equals(state, "Retry", m)?,
        interval_seconds: interval,
        max_attempts,
        backoff_rate: number(
            "BackoffRate",
            2.0,
            |x| x >= 1.0,
            "must be a number of at least 1",
        )?,
        max_delay_seconds: max_delay,
    })
}

pub(crate) fn catcher(state: &str, m: Fields) -> Result<Catcher, DefinitionError> {
    only(
        state,
        "Catch",
        m,
        &["ErrorEquals", "ResultPath", "Next", "Comment"],
    )?;
    Ok(Catcher {
        error_equals: error_equals(state, "Catch", m)?,
        result_path: optional_path(state, m, "ResultPath").map_err(|e| {
            DefinitionError(e.0.replace("field \"ResultPath\"", "field \"Catch.ResultPath\""))
        })?,
        next: m
            .get("Next")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                DefinitionError::state(state, "Catch.Next", "is required and must be a state name")
            })?
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn retriers(v: Value) -> Vec<Retrier> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| retrier("S", r.as_object().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn waits_back_off_and_are_capped_and_scaled() {
        let r = &retriers(
            json!([{"ErrorEquals": ["X"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxDelaySeconds": 5}]),
        )[0];
        assert_eq!(r.wait(0, 1.0), Duration::from_secs(2));
        assert_eq!(r.wait(1, 1.0), Duration::from_secs(4));
        assert_eq!(r.wait(2, 1.0), Duration::from_secs(5));
        assert_eq!(r.wait(1, 0.001), Duration::from_millis(4));
        let d = &retriers(json!([{"ErrorEquals": ["X"]}]))[0];
        assert_eq!(
            (d.interval_seconds, d.backoff_rate, d.max_attempts),
            (1.0, 2.0, 3)
        );
    }

    #[test]
    fn the_first_matching_retrier_decides_then_the_first_matching_catcher() {
        let retry = retriers(json!([
            {"ErrorEquals": ["A"], "MaxAttempts": 1},
            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}
        ]));
        let catch: Vec<Catcher> = [
            json!({"ErrorEquals": ["B"], "Next": "One"}),
            json!({"ErrorEquals": ["States.ALL"], "Next": "Two"}),
        ]
        .iter()
        .map(|c| catcher("S", c.as_object().unwrap()).unwrap())
        .collect();
        let a = TaskError::new("A", "");
        assert_eq!(
            handle(&retry, &catch, &[0, 0], &a),
            Handling::Retry { index: 0, done: 0 }
        );
        // Exhausted: the later States.ALL retrier is not consulted.
        assert_eq!(handle(&retry, &catch, &[1, 0], &a), Handling::Catch(1));
        assert_eq!(
            handle(&retry, &catch, &[0, 0], &TaskError::new("B", "")),
            Handling::Catch(0)
        );
        assert_eq!(handle(&retry, &[], &[1, 0], &a), Handling::Fail);
        assert_eq!(
            handle(&retry, &catch, &[0, 0], &TaskError::runtime("x")),
            Handling::Fail
        );
    }

    #[test]
    fn refuses_jitter_and_misplaced_states_all() {
        let e = retrier(
            "S",
            json!({"ErrorEquals": ["X"], "JitterStrategy": "FULL"})
                .as_object()
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            e.0,
            "state \"S\": field \"Retry.JitterStrategy\" is not supported (only \"NONE\")"
        );
        let r = retriers(json!([{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]));
        assert!(check_retry_order("S", &r).is_err());
        let e = retrier(
            "S",
            json!({"ErrorEquals": ["X"], "Other": 1})
                .as_object()
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(e.0, "state \"S\": field \"Retry.Other\" is not supported");
    }
}
