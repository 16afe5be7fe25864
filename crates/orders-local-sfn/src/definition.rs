//! The ASL document, parsed into typed states. Everything the executor does
//! not run is refused here, with the state and field named, so a definition
//! cannot drift past the executor: a definition that loads runs as Step
//! Functions would run it.

use crate::choice::Rule;
use crate::error::DefinitionError;
use crate::path::ReferencePath;
use crate::retry::{catcher, check_retry_order, retrier, Catcher, Retrier};
use crate::template::Template;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A parsed state machine.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The state machine's name (executions are unique per name).
    pub name: String,
    pub(crate) start_at: String,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) states: HashMap<String, State>,
}

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

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
const COMMON: &[&str] = &["Type", "Comment"];
const PATHS: &[&str] = &["InputPath", "OutputPath"];
const TOP: &[&str] = &[
    "Comment",
    "StartAt",
    "States",
    "QueryLanguage",
    "TimeoutSeconds",
];

/// Replaces every `${Name}` in `text` by its value; an unknown name is an error.
pub fn substitute(
    text: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, DefinitionError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| DefinitionError("an unterminated \"${\" in the definition".into()))?;
        let name = &after[..end];
        let value = values.get(name).ok_or_else(|| {
            DefinitionError(format!(
                "definition substitution \"${{{name}}}\" has no value"
            ))
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Definition {
    /// Parses `text` after its `DefinitionSubstitutions`.
    pub fn parse(
        name: impl Into<String>,
        text: &str,
        substitutions: &BTreeMap<String, String>,
    ) -> Result<Self, DefinitionError> {
        let text = substitute(text, substitutions)?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| DefinitionError(format!("the definition is not JSON: {e}")))?;
        Self::from_value(name, &doc)
    }

    /// Parses an already substituted document.
    pub fn from_value(name: impl Into<String>, doc: &Value) -> Result<Self, DefinitionError> {
        let top = doc
            .as_object()
            .ok_or_else(|| DefinitionError("the definition must be a JSON object".into()))?;
        if let Some(field) = top.keys().find(|k| !TOP.contains(&k.as_str())) {
            return Err(DefinitionError::top(field, "is not supported"));
        }
        match top.get("QueryLanguage") {
            None => {}
            Some(Value::String(q)) if q == "JSONPath" => {}
            Some(_) => {
                return Err(DefinitionError::top(
                    "QueryLanguage",
                    "must be \"JSONPath\"",
                ))
            }
        }
        let start_at = top
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| DefinitionError::top("StartAt", "is required and must be a string"))?
            .to_string();
        let timeout_seconds = match top.get("TimeoutSeconds") {
            None => None,
            Some(v) => Some(positive(v).ok_or_else(|| {
                DefinitionError::top("TimeoutSeconds", "must be a positive integer")
            })?),
        };
        let states_doc = top
            .get("States")
            .and_then(Value::as_object)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                DefinitionError::top("States", "is required and must be a non-empty object")
            })?;
        let mut states = HashMap::with_capacity(states_doc.len());
        for (state_name, body) in states_doc {
            let body = body.as_object().ok_or_else(|| {
                DefinitionError(format!("state \"{state_name}\" must be an object"))
            })?;
            states.insert(state_name.clone(), parse_state(state_name, body)?);
        }
        let definition = Self {
            name: name.into(),
            start_at,
            timeout_seconds,
            states,
        };
        definition.check_graph()?;
        Ok(definition)
    }

    pub(crate) fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }

    /// The state executions start in.
    pub fn start_at(&self) -> &str {
        &self.start_at
    }

    /// Every transition names a state, and every state is reachable.
    fn check_graph(&self) -> Result<(), DefinitionError> {
        if !self.states.contains_key(&self.start_at) {
            return Err(DefinitionError::top(
                "StartAt",
                format!("names the missing state \"{}\"", self.start_at),
            ));
        }
        let mut seen = HashSet::new();
        let mut todo = vec![self.start_at.as_str()];
        while let Some(name) = todo.pop() {
            if !seen.insert(name) {
                continue;
            }
            for (field, target) in self.states[name].transitions() {
                if !self.states.contains_key(target) {
                    return Err(DefinitionError::state(
                        name,
                        field,
                        format!("names the missing state \"{target}\""),
                    ));
                }
                todo.push(target);
            }
        }
        let mut unreachable: Vec<_> = self
            .states
            .keys()
            .filter(|n| !seen.contains(n.as_str()))
            .collect();
        unreachable.sort();
        match unreachable.first() {
            Some(name) => Err(DefinitionError(format!(
                "state \"{name}\" is unreachable from StartAt"
            ))),
            None => Ok(()),
        }
    }
}

impl State {
    fn transitions(&self) -> Vec<(&'static str, &str)> {
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

fn positive(v: &Value) -> Option<u64> {
    v.as_u64().filter(|n| *n > 0)
}

pub(crate) type Fields<'a> = &'a Map<String, Value>;

fn parse_state(name: &str, body: Fields) -> Result<State, DefinitionError> {
    let err = |field: &str, problem: &str| DefinitionError::state(name, field, problem);
    let ty = body
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| err("Type", "is required and must be a string"))?;
    let allowed: &[&str] = match ty {
        "Task" => &[
            "Resource",
            "Parameters",
            "ResultSelector",
            "ResultPath",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "Next",
            "End",
        ],
        "Pass" => &["Parameters", "Result", "ResultPath", "Next", "End"],
        "Choice" => &["Choices", "Default"],
        "Succeed" => &[],
        "Fail" => &["Error", "Cause"],
        other => {
            return Err(DefinitionError(format!(
                "state \"{name}\": type \"{other}\" is not supported"
            )))
        }
    };
    let supported = |k: &str| {
        COMMON.contains(&k) || allowed.contains(&k) || (ty != "Fail" && PATHS.contains(&k))
    };
    if let Some(field) = body.keys().find(|k| !supported(k)) {
        return Err(err(field, "is not supported"));
    }
    let path = |field: &str| optional_path(name, body, field);
    let template = |field: &str| match body.get(field) {
        None => Ok(None),
        Some(v) if v.is_object() => Template::parse(v).map(Some).map_err(|(key, problem)| {
            DefinitionError::state(name, &format!("{field}.{key}"), problem)
        }),
        Some(_) => Err(err(field, "must be an object")),
    };
    let kind = match ty {
        "Task" => Kind::Task(Box::new(Task {
            resource: resource(name, body)?,
            parameters: template("Parameters")?,
            result_selector: template("ResultSelector")?,
            result_path: path("ResultPath")?,
            retry: list(name, body, "Retry", retrier)?,
            catch: list(name, body, "Catch", catcher)?,
            timeout_seconds: match body.get("TimeoutSeconds") {
                None => None,
                Some(v) => Some(
                    positive(v)
                        .ok_or_else(|| err("TimeoutSeconds", "must be a positive integer"))?,
                ),
            },
            next: next(name, body)?,
        })),
        "Pass" => Kind::Pass {
            parameters: template("Parameters")?,
            result: body.get("Result").cloned(),
            result_path: path("ResultPath")?,
            next: next(name, body)?,
        },
        "Choice" => choice(name, body)?,
        "Succeed" => Kind::Succeed,
        _ => Kind::Fail {
            error: string_field(name, body, "Error")?,
            cause: string_field(name, body, "Cause")?,
        },
    };
    if let Kind::Task(t) = &kind {
        check_lambda_parameters(name, t)?;
        check_retry_order(name, &t.retry)?;
    }
    Ok(State {
        input_path: path("InputPath")?,
        output_path: path("OutputPath")?,
        kind,
    })
}

/// `null` is `None`; absent is `$`.
pub(crate) fn optional_path(
    state: &str,
    body: Fields,
    field: &str,
) -> Result<Option<ReferencePath>, DefinitionError> {
    match body.get(field) {
        None => Ok(Some(ReferencePath::root())),
        Some(Value::Null) => Ok(None),
        Some(Value::String(p)) => ReferencePath::parse(p)
            .map(Some)
            .map_err(|e| DefinitionError::state(state, field, e)),
        Some(_) => Err(DefinitionError::state(
            state,
            field,
            "must be a path or null",
        )),
    }
}

fn string_field(state: &str, body: Fields, field: &str) -> Result<Option<String>, DefinitionError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DefinitionError::state(state, field, "must be a string")),
    }
}

fn next(state: &str, body: Fields) -> Result<Next, DefinitionError> {
    match (body.get("Next"), body.get("End")) {
        (Some(Value::String(n)), None) => Ok(Next::State(n.clone())),
        (None, Some(Value::Bool(true))) => Ok(Next::End),
        (Some(_), Some(_)) => Err(DefinitionError::state(
            state,
            "End",
            "cannot be set with Next",
        )),
        _ => Err(DefinitionError::state(
            state,
            "Next",
            "is required (a state name), or End: true",
        )),
    }
}

fn resource(state: &str, body: Fields) -> Result<Resource, DefinitionError> {
    let err = |p: &str| DefinitionError::state(state, "Resource", p);
    match body.get("Resource").and_then(Value::as_str) {
        None => Err(err("is required and must be a string")),
        Some(LAMBDA_INVOKE) => Ok(Resource::LambdaInvoke),
        Some(r)
            if (r.starts_with("arn:") && !r.contains(":lambda:"))
                || r.starts_with("arn:aws:states:") =>
        {
            Err(err(&format!(
                "\"{r}\" is not supported (only {LAMBDA_INVOKE} and Lambda functions)"
            )))
        }
        Some(r) => Ok(Resource::Function(r.to_string())),
    }
}

fn check_lambda_parameters(state: &str, task: &Task) -> Result<(), DefinitionError> {
    if !matches!(task.resource, Resource::LambdaInvoke) {
        return Ok(());
    }
    let fields: Vec<String> = match &task.parameters {
        Some(Template::Object(f)) => f.iter().map(|(k, _)| k.clone()).collect(),
        Some(Template::Const(Value::Object(m))) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    for required in ["FunctionName", "Payload"] {
        if !fields.iter().any(|k| k == required) {
            return Err(DefinitionError::state(
                state,
                &format!("Parameters.{required}"),
                "is required",
            ));
        }
    }
    if let Some(other) = fields
        .iter()
        .find(|k| *k != "FunctionName" && *k != "Payload")
    {
        return Err(DefinitionError::state(
            state,
            &format!("Parameters.{other}"),
            "is not supported",
        ));
    }
    Ok(())
}

fn list<T>(
    state: &str,
    body: Fields,
    field: &str,
    parse: fn(&str, Fields) -> Result<T, DefinitionError>,
) -> Result<Vec<T>, DefinitionError> {
    match body.get(field) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item.as_object() {
                Some(m) => parse(state, m),
                None => Err(DefinitionError::state(state, field, "must hold objects")),
            })
            .collect(),
        Some(_) => Err(DefinitionError::state(state, field, "must be an array")),
    }
}

fn choice(state: &str, body: Fields) -> Result<Kind, DefinitionError> {
    let rules = body
        .get("Choices")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| DefinitionError::state(state, "Choices", "must be a non-empty array"))?;
    let mut choices = Vec::with_capacity(rules.len());
    for rule in rules {
        let m = rule
            .as_object()
            .ok_or_else(|| DefinitionError::state(state, "Choices", "must hold rule objects"))?;
        let next = m.get("Next").and_then(Value::as_str).ok_or_else(|| {
            DefinitionError::state(state, "Choices.Next", "is required in every top-level rule")
        })?;
        let parsed = Rule::parse(m, true).map_err(|(field, problem)| {
            DefinitionError::state(state, &format!("Choices.{field}"), problem)
        })?;
        choices.push((parsed, next.to_string()));
    }
    Ok(Kind::Choice {
        choices,
        default: string_field(state, body, "Default")?,
    })
}
