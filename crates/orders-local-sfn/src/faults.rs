//! Faults on demand: what AWS does to a workflow now and then (a Lambda
//! task that commits its effect and still fails, as a timeout reaches Step
//! Functions as `Sandbox.Timedout`; an invoke that fails before the
//! function runs; a second execution of one input; a redelivered message),
//! produced locally on purpose so tests cover it.
//!
//! Every decision is a pure function of a seed and of what it decides about
//! ([`fires`]), never of timing or of the order calls happen in, so a run
//! that failed replays the same faults from the same seed and spec. The
//! hash is written out here (FNV-1a, then the splitmix64 finaliser) because
//! `std`'s hashers are allowed to change between Rust releases, and a seed
//! must mean the same faults on every toolchain.
//!
//! [`TaskFaults`] is the spec of task faults (`TASK:POINT:ERROR:P`, comma
//! separated; see its [`FromStr`]) and [`FaultyInvoker`] applies it around
//! any [`TaskInvoker`]. Nothing here knows what the tasks do.

use crate::error::TaskError;
use crate::executor::{TaskContext, TaskInvoker};
use async_trait::async_trait;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A [`TaskFault`]'s task that matches every function.
pub const ANY_TASK: &str = "*";

/// What a decision is about: the first part of every [`fires`] key, so two
/// kinds of decision on the same names are independent.
pub mod kinds {
    /// A [`super::TaskFault`] striking one attempt of a task.
    pub const TASK_FAULT: &str = "task-fault";
    /// A second execution started for one input.
    pub const DUPLICATE_START: &str = "duplicate-start";
    /// A message delivered a second time.
    pub const REDELIVERY: &str = "redelivery";
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over `bytes`, continuing from `h`.
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// One splitmix64 step from state `x`: spreads every input bit over the
/// whole word, which FNV alone does poorly in the high bits [`draw`] uses.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number in [0, 1), a pure function of `seed`, `kind` and `parts` (the
/// same on every platform and Rust version). Each part is length-prefixed,
/// so `["ab", "c"]` and `["a", "bc"]` differ.
pub fn draw(seed: u64, kind: &str, parts: &[&[u8]]) -> f64 {
    let mut h = fnv1a(FNV_OFFSET, &seed.to_le_bytes());
    for part in std::iter::once(kind.as_bytes()).chain(parts.iter().copied()) {
        h = fnv1a(h, &(part.len() as u64).to_le_bytes());
        h = fnv1a(h, part);
    }
    // The top 53 bits: exactly representable, so the result stays below 1.
    (splitmix64(h) >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether something of probability `p` happens for this key: never at
/// `p <= 0` (or NaN), always at `p >= 1`.
pub fn fires(p: f64, seed: u64, kind: &str, parts: &[&[u8]]) -> bool {
    draw(seed, kind, parts) < p
}

/// When an injected fault strikes, relative to the task's own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// The task does not run and the executor sees the error (an invoke
    /// throttled or refused before the function started).
    BeforeCommit,
    /// The task runs and commits its effect, then the executor sees the
    /// error instead of its result (a Lambda timing out after its write).
    AfterCommit,
}

impl FaultPoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BeforeCommit => "before-commit",
            Self::AfterCommit => "after-commit",
        }
    }
}

impl fmt::Display for FaultPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a [`TaskFaults`] spec: `TASK:POINT:ERROR:P`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskFault {
    /// The function name the definition invokes, or [`ANY_TASK`].
    pub task: String,
    pub point: FaultPoint,
    /// The error name reported (what `Retry` and `Catch` match).
    pub error: String,
    /// In [0, 1].
    pub probability: f64,
}

impl TaskFault {
    pub fn applies_to(&self, function: &str) -> bool {
        self.task == ANY_TASK || self.task == function
    }
}

impl fmt::Display for TaskFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.task, self.point, self.error, self.probability
        )
    }
}

/// Task faults: comma-separated `TASK:after-commit:ERROR:P` and
/// `TASK:before-commit:ERROR:P` entries. Entries are tried in order and
/// the first that fires wins (before-commit ones before the task runs,
/// after-commit ones after it succeeded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFaults {
    pub entries: Vec<TaskFault>,
}

impl TaskFaults {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry at `point` for `function` that fires for this
    /// attempt. The key holds the entry's position too, so two entries on
    /// one task decide independently.
    pub fn firing(
        &self,
        seed: u64,
        point: FaultPoint,
        context: &TaskContext<'_>,
        function: &str,
    ) -> Option<&TaskFault> {
        self.entries.iter().enumerate().find_map(|(i, entry)| {
            let hit = entry.point == point
                && entry.applies_to(function)
                && fires(
                    entry.probability,
                    seed,
                    kinds::TASK_FAULT,
                    &[
                        &(i as u64).to_le_bytes(),
                        point.as_str().as_bytes(),
                        context.execution.as_bytes(),
                        context.state.as_bytes(),
                        &context.retries.to_le_bytes(),
                        function.as_bytes(),
                    ],
                );
            hit.then_some(entry)
        })
    }
}

impl fmt::Display for TaskFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{entry}")?;
        }
        Ok(())
    }
}

/// A spec entry that does not parse, with the entry as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad fault entry \"{entry}\": {problem}")]
pub struct FaultSpecError {
    pub entry: String,
    pub problem: SpecProblem,
}

/// What is wrong with a spec entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    #[error("the entry is empty (expected TASK:after-commit|before-commit:ERROR:P)")]
    Empty,
    #[error("expected 4 fields TASK:after-commit|before-commit:ERROR:P, found {0}")]
    Fields(usize),
    #[error("the task name is empty (use * for any task)")]
    NoTask,
    #[error("\"{0}\" is neither after-commit nor before-commit")]
    Point(String),
    #[error("the error name is empty")]
    NoError,
    #[error("\"{0}\" contains whitespace")]
    Whitespace(String),
    #[error(transparent)]
    Probability(#[from] ProbabilityError),
}

/// A probability that does not parse or is outside [0, 1].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbabilityError {
    #[error("probability \"{0}\" is not a number")]
    NotANumber(String),
    #[error("probability {0} is outside [0, 1]")]
    OutOfRange(String),
}

/// A probability in [0, 1] (the `P` of every fault option).
pub fn parse_probability(s: &str) -> Result<f64, ProbabilityError> {
    let s = s.trim();
    let p: f64 = s
        .parse()
        .map_err(|_| ProbabilityError::NotANumber(s.to_string()))?;
    // `contains` is false for NaN too.
    if !(0.0..=1.0).contains(&p) {
        return Err(ProbabilityError::OutOfRange(s.to_string()));
    }
    Ok(p)
}

fn name_field(field: &str, empty: SpecProblem) -> Result<String, SpecProblem> {
    let field = field.trim();
    if field.is_empty() {
        return Err(empty);
    }
    if field.chars().any(char::is_whitespace) {
        return Err(SpecProblem::Whitespace(field.to_string()));
    }
    Ok(field.to_string())
}

impl FromStr for TaskFault {
    type Err = SpecProblem;

    fn from_str(entry: &str) -> Result<Self, SpecProblem> {
        if entry.trim().is_empty() {
            return Err(SpecProblem::Empty);
        }
        let fields: Vec<&str> = entry.split(':').collect();
        let [task, point, error, p] = fields[..] else {
            return Err(SpecProblem::Fields(fields.len()));
        };
        let task = name_field(task, SpecProblem::NoTask)?;
        let point = match point.trim() {
            "after-commit" => FaultPoint::AfterCommit,
            "before-commit" => FaultPoint::BeforeCommit,
            other => return Err(SpecProblem::Point(other.to_string())),
        };
        let error = name_field(error, SpecProblem::NoError)?;
        Ok(Self {
            task,
            point,
            error,
            probability: parse_probability(p)?,
        })
    }
}

impl FromStr for TaskFaults {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Self, FaultSpecError> {
        let entries = spec
            .split(',')
            .map(|entry| {
                entry.parse().map_err(|problem| FaultSpecError {
                    entry: entry.to_string(),
                    problem,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }
}

/// Wraps a [`TaskInvoker`] with [`TaskFaults`]: a before-commit fault
/// answers its error without invoking; an after-commit fault lets the task
/// run (and commit) and answers its error instead of the result, so the
/// definition's `Retry` and `Catch` see it as they would on AWS.
pub struct FaultyInvoker<I: ?Sized> {
    inner: Arc<I>,
    faults: TaskFaults,
    seed: u64,
}

impl<I: TaskInvoker + ?Sized> FaultyInvoker<I> {
    pub fn new(inner: Arc<I>, faults: TaskFaults, seed: u64) -> Self {
        Self {
            inner,
            faults,
            seed,
        }
    }

    pub fn faults(&self) -> &TaskFaults {
        &self.faults
    }

    fn injected(&self, fault: &TaskFault, context: &TaskContext<'_>, function: &str) -> TaskError {
        tracing::warn!(
            execution = context.execution,
            state = context.state,
            retries = context.retries,
            function,
            point = %fault.point,
            error = %fault.error,
            "injected task fault"
        );
        let what = match fault.point {
            FaultPoint::BeforeCommit => "the task did not run",
            FaultPoint::AfterCommit => "the task ran and committed; its result was withheld",
        };
        // Shaped like a Lambda function's error document, as real causes are.
        let cause = serde_json::json!({
            "errorType": fault.error,
            "errorMessage": format!(
                "injected fault {fault} (seed {}): {what}",
                self.seed
            ),
        });
        TaskError::new(fault.error.clone(), cause.to_string())
    }
}

#[async_trait]
impl<I: TaskInvoker + ?Sized> TaskInvoker for FaultyInvoker<I> {
    /// Without a [`TaskContext`] there is nothing to base a repeatable
    /// decision on, so a bare invoke is never faulted.
    async fn invoke(&self, function: &str, payload: Value) -> Result<Value, TaskError> {
        self.inner.invoke(function, payload).await
    }

    async fn invoke_task(
        &self,
        context: &TaskContext<'_>,
        function: &str,
        payload: Value,
    ) -> Result<Value, TaskError> {
        if let Some(fault) =
            self.faults
                .firing(self.seed, FaultPoint::BeforeCommit, context, function)
        {
            return Err(self.injected(fault, context, function));
        }
        // A task that failed on its own reports its own error: after-commit
        // is about a success the caller never hears of.
        let output = self.inner.invoke_task(context, function, payload).await?;
        match self
            .faults
            .firing(self.seed, FaultPoint::AfterCommit, context, function)
        {
            Some(fault) => Err(self.injected(fault, context, function)),
            None => Ok(output),
        }
    }
}

#[cfg(test)]
mod tests;
