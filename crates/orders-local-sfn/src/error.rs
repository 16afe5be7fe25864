//! The executor's errors: a definition it refuses, a task's failure as the
//! workflow sees it, and what can go wrong running executions.

use orders_core::StoreError;
use serde_json::Value;

/// Step Functions' own error names.
pub mod names {
    /// Matches every error but [`RUNTIME`].
    pub const ALL: &str = "States.ALL";
    /// Matches every task error but [`TIMEOUT`].
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A task ran past its `TimeoutSeconds`, or the execution past its own.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A path did not resolve (Parameters, ResultSelector, InputPath,
    /// OutputPath, a Choice variable): fails the execution, never caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// `ResultPath` could not be applied to the state's input.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
}

/// A definition the executor will not run, naming the state and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DefinitionError(pub String);

impl DefinitionError {
    pub(crate) fn top(field: &str, problem: impl std::fmt::Display) -> Self {
        Self(format!("field \"{field}\" {problem}"))
    }

    pub(crate) fn state(state: &str, field: &str, problem: impl std::fmt::Display) -> Self {
        Self(format!("state \"{state}\": field \"{field}\" {problem}"))
    }
}

/// A task's failure: the error name `Retry` and `Catch` match, and its cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskError {
    pub error: String,
    pub cause: String,
}

impl TaskError {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// A Lambda function's error as Lambda reports it to Step Functions:
    /// the error name is the function's `errorType`, the cause its error
    /// document.
    pub fn of_lambda(error_type: &str, message: &str) -> Self {
        let cause =
            serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string();
        Self::new(error_type, cause)
    }

    pub(crate) fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// The error output a catcher's `ResultPath` places: `{"Error", "Cause"}`.
    pub fn to_output(&self) -> Value {
        serde_json::json!({ "Error": self.error, "Cause": self.cause })
    }

    /// Whether an `ErrorEquals` entry matches this error.
    pub fn matches(&self, name: &str) -> bool {
        match name {
            names::ALL => self.error != names::RUNTIME,
            names::TASK_FAILED => self.error != names::RUNTIME && self.error != names::TIMEOUT,
            other => other == self.error && self.error != names::RUNTIME,
        }
    }
}

/// What can go wrong starting, running or reading executions.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the execution's stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the runner of this executor is running already")]
    AlreadyRunning,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_step_functions_does() {
        let task = TaskError::new("TransientError", "x");
        let timeout = TaskError::new(names::TIMEOUT, "x");
        let runtime = TaskError::runtime("x");
        assert!(task.matches("TransientError") && !task.matches("Other"));
        assert!(task.matches(names::ALL) && task.matches(names::TASK_FAILED));
        assert!(timeout.matches(names::ALL) && timeout.matches(names::TIMEOUT));
        assert!(!timeout.matches(names::TASK_FAILED));
        assert!(!runtime.matches(names::ALL) && !runtime.matches(names::RUNTIME));
    }
}
