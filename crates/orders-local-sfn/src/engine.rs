//! What each state does to its input, without I/O: the paths and templates
//! of a state, the states that run without a task (Pass, Choice, Succeed,
//! Fail), and the history events they produce. The runtime
//! ([`crate::executor`]) invokes tasks, waits, and commits what this
//! computes.

use crate::definition::Definition;
use crate::error::{names, TaskError};
use crate::model::{Kind, Next, Resource, State, Task};
use crate::path::ReferencePath;
use crate::template::Template;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The kinds of history events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    ExecutionStarted,
    StateEntered,
    TaskScheduled,
    TaskSucceeded,
    TaskFailed,
    RetryScheduled,
    CatchTaken,
    StateExited,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionTimedOut,
}

impl EventType {
    pub const ALL: [EventType; 11] = [
        Self::ExecutionStarted,
        Self::StateEntered,
        Self::TaskScheduled,
        Self::TaskSucceeded,
        Self::TaskFailed,
        Self::RetryScheduled,
        Self::CatchTaken,
        Self::StateExited,
        Self::ExecutionSucceeded,
        Self::ExecutionFailed,
        Self::ExecutionTimedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExecutionStarted => "ExecutionStarted",
            Self::StateEntered => "StateEntered",
            Self::TaskScheduled => "TaskScheduled",
            Self::TaskSucceeded => "TaskSucceeded",
            Self::TaskFailed => "TaskFailed",
            Self::RetryScheduled => "RetryScheduled",
            Self::CatchTaken => "CatchTaken",
            Self::StateExited => "StateExited",
            Self::ExecutionSucceeded => "ExecutionSucceeded",
            Self::ExecutionFailed => "ExecutionFailed",
            Self::ExecutionTimedOut => "ExecutionTimedOut",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// One history event, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub(crate) kind: EventType,
    pub(crate) state: Option<String>,
    /// Epoch milliseconds.
    pub(crate) at: i64,
    pub(crate) input: Option<Value>,
    pub(crate) output: Option<Value>,
    pub(crate) error: Option<TaskError>,
    /// Epoch milliseconds (RetryScheduled).
    pub(crate) due_at: Option<i64>,
}

impl Event {
    pub(crate) fn new(kind: EventType, state: Option<&str>, at: i64) -> Self {
        Self {
            kind,
            state: state.map(str::to_string),
            at,
            input: None,
            output: None,
            error: None,
            due_at: None,
        }
    }

    pub(crate) fn input(mut self, v: &Value) -> Self {
        self.input = Some(v.clone());
        self
    }

    pub(crate) fn output(mut self, v: &Value) -> Self {
        self.output = Some(v.clone());
        self
    }

    pub(crate) fn error(mut self, e: &TaskError) -> Self {
        self.error = Some(e.clone());
        self
    }
}

/// Where a run of task-less states stopped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Landing {
    /// At a Task state (entered, not yet invoked), with its raw input.
    Task {
        state: String,
        input: Value,
    },
    Succeeded(Value),
    Failed(TaskError),
}

/// Transitions without a task before an execution is failed: a Pass/Choice
/// loop would otherwise spin forever.
const MAX_INLINE_TRANSITIONS: usize = 1_000;

fn runtime(e: String) -> TaskError {
    TaskError::runtime(e)
}

fn select(path: &Option<ReferencePath>, value: &Value, field: &str) -> Result<Value, TaskError> {
    match path {
        None => Ok(json!({})),
        Some(p) => p.get(value).cloned().ok_or_else(|| {
            runtime(format!(
                "Invalid path '{p}' : No results for path: $['{field}'] in the input '{value}'"
            ))
        }),
    }
}

fn place(path: &Option<ReferencePath>, raw: &Value, result: Value) -> Result<Value, TaskError> {
    match path {
        None => Ok(raw.clone()),
        Some(p) => p
            .set(raw.clone(), result)
            .map_err(|e| TaskError::new(names::RESULT_PATH_MATCH_FAILURE, e)),
    }
}

fn fill(template: &Option<Template>, input: Value) -> Result<Value, TaskError> {
    match template {
        None => Ok(input),
        Some(t) => t.apply(&input).map_err(runtime),
    }
}

/// A task's call: the function, its payload, and the effective input
/// (InputPath, then Parameters) as the history shows it.
pub(crate) fn task_call(
    state: &State,
    task: &Task,
    raw: &Value,
) -> Result<(String, Value, Value), TaskError> {
    let effective = fill(
        &task.parameters,
        select(&state.input_path, raw, "InputPath")?,
    )?;
    match &task.resource {
        Resource::Function(name) => Ok((name.clone(), effective.clone(), effective)),
        Resource::LambdaInvoke => {
            let function = effective
                .get("FunctionName")
                .and_then(Value::as_str)
                .ok_or_else(|| runtime("Parameters.FunctionName is not a string".into()))?
                .to_string();
            let payload = effective.get("Payload").cloned().unwrap_or(Value::Null);
            Ok((function, payload, effective))
        }
    }
}

/// The state's output from the function's output: the integration's
/// result shape, ResultSelector, ResultPath, OutputPath.
pub(crate) fn task_output(
    state: &State,
    task: &Task,
    raw: &Value,
    output: Value,
) -> Result<Value, TaskError> {
    let result = match task.resource {
        Resource::LambdaInvoke => json!({ "Payload": output, "StatusCode": 200 }),
        Resource::Function(_) => output,
    };
    let selected = fill(&task.result_selector, result)?;
    select(
        &state.output_path,
        &place(&task.result_path, raw, selected)?,
        "OutputPath",
    )
}

/// The input of a catcher's next state: the error output at its ResultPath.
pub(crate) fn caught(
    result_path: &Option<ReferencePath>,
    raw: &Value,
    error: &TaskError,
) -> Result<Value, TaskError> {
    place(result_path, raw, error.to_output())
}

/// Leaves `from` with `output` for `next`: StateExited, then StateEntered
/// and the task-less states after it, until a Task or the end.
pub(crate) fn advance(
    def: &Definition,
    from: &str,
    output: Value,
    next: &Next,
    now: i64,
    events: &mut Vec<Event>,
) -> Landing {
    events.push(Event::new(EventType::StateExited, Some(from), now).output(&output));
    match next {
        Next::End => Landing::Succeeded(output),
        Next::State(name) => enter(def, name, output, now, events),
    }
}

/// Enters `name` with `input` and runs on through task-less states.
pub(crate) fn enter(
    def: &Definition,
    name: &str,
    input: Value,
    now: i64,
    events: &mut Vec<Event>,
) -> Landing {
    events.push(Event::new(EventType::StateEntered, Some(name), now).input(&input));
    run_inline(def, name, input, now, events)
}

/// Runs from the entered state `name` through task-less states.
pub(crate) fn run_inline(
    def: &Definition,
    name: &str,
    input: Value,
    now: i64,
    events: &mut Vec<Event>,
) -> Landing {
    let mut current = name.to_string();
    let mut input = input;
    for _ in 0..MAX_INLINE_TRANSITIONS {
        let Some(state) = def.state(&current) else {
            return Landing::Failed(runtime(format!(
                "the state \"{current}\" is not in the definition"
            )));
        };
        let step = match inline_step(state, &input) {
            Ok(step) => step,
            Err(e) => return Landing::Failed(e),
        };
        match step {
            Inline::Task => {
                return Landing::Task {
                    state: current,
                    input,
                }
            }
            Inline::Fail(e) => return Landing::Failed(e),
            Inline::Next(output, Next::End) => {
                events
                    .push(Event::new(EventType::StateExited, Some(&current), now).output(&output));
                return Landing::Succeeded(output);
            }
            Inline::Next(output, Next::State(next)) => {
                events
                    .push(Event::new(EventType::StateExited, Some(&current), now).output(&output));
                events.push(Event::new(EventType::StateEntered, Some(&next), now).input(&output));
                current = next;
                input = output;
            }
        }
    }
    Landing::Failed(runtime(format!(
        "more than {MAX_INLINE_TRANSITIONS} transitions without a task (a loop of Pass or Choice states)"
    )))
}

enum Inline {
    Task,
    Next(Value, Next),
    Fail(TaskError),
}

fn inline_step(state: &State, raw: &Value) -> Result<Inline, TaskError> {
    Ok(match &state.kind {
        Kind::Task(_) => Inline::Task,
        Kind::Pass {
            parameters,
            result,
            result_path,
            next,
        } => {
            let effective = fill(parameters, select(&state.input_path, raw, "InputPath")?)?;
            let result = result.clone().unwrap_or(effective);
            let output = select(
                &state.output_path,
                &place(result_path, raw, result)?,
                "OutputPath",
            )?;
            Inline::Next(output, next.clone())
        }
        Kind::Choice { choices, default } => {
            let effective = select(&state.input_path, raw, "InputPath")?;
            let mut chosen = None;
            for (rule, next) in choices {
                if rule.eval(&effective).map_err(runtime)? {
                    chosen = Some(next.clone());
                    break;
                }
            }
            let next = chosen.or_else(|| default.clone()).ok_or_else(|| {
                TaskError::new(
                    "States.NoChoiceMatched",
                    "No Choice rule matched and there is no Default",
                )
            })?;
            Inline::Next(
                select(&state.output_path, &effective, "OutputPath")?,
                Next::State(next),
            )
        }
        Kind::Succeed => {
            let effective = select(&state.input_path, raw, "InputPath")?;
            Inline::Next(
                select(&state.output_path, &effective, "OutputPath")?,
                Next::End,
            )
        }
        Kind::Fail { error, cause } => Inline::Fail(TaskError::new(
            error.clone().unwrap_or_default(),
            cause.clone().unwrap_or_default(),
        )),
    })
}
