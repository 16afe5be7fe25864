//! The typed states a [`Definition`](crate::Definition) is made of, as
//! the parser ([`crate::states`]) builds them and the engine runs them.

use crate::choice::Rule;
use crate::path::ReferencePath;
use crate::retry::{Catcher, Retrier};
use crate::template::Template;
use serde_json::Value;

#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) input_path: Option<ReferencePath>,
    pub(crate) output_path: Option<ReferencePath>,
    pub(crate) kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Task(Box<Task>),
    Pass {
        parameters: Option<Template>,
        result: Option<Value>,
        result_path: Option<ReferencePath>,
        next: Next,
    },
    Choice {
        choices: Vec<(Rule, String)>,
        default: Option<String>,
    },
    Succeed,
    Fail {
        error: Option<String>,
        cause: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    State(String),
    End,
}

#[derive(Debug, Clone)]
pub(crate) enum Resource {
    /// `arn:aws:states:::lambda:invoke`: Parameters carry `FunctionName`
    /// and `Payload`; the result is `{"Payload": ..., "StatusCode": 200}`.
    LambdaInvoke,
    /// A function ARN or name: the effective input is the payload and the
    /// function's output is the result.
    Function(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Task {
    pub(crate) resource: Resource,
    pub(crate) parameters: Option<Template>,
    pub(crate) result_selector: Option<Template>,
    pub(crate) result_path: Option<ReferencePath>,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) next: Next,
}

impl State {
    pub(crate) fn transitions(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        match &self.kind {
            Kind::Task(t) => {
                if let Next::State(n) = &t.next {
                    out.push(("Next", n.as_str()));
                }
                out.extend(t.catch.iter().map(|c| ("Catch.Next", c.next.as_str())));
            }
            Kind::Pass {
                next: Next::State(n),
                ..
            } => out.push(("Next", n.as_str())),
            Kind::Choice { choices, default } => {
                out.extend(choices.iter().map(|(_, n)| ("Choices.Next", n.as_str())));
                out.extend(default.iter().map(|d| ("Default", d.as_str())));
            }
            _ => {}
        }
        out
    }
}
