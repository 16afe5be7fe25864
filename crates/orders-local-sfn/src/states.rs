//! Parsing one state of the document: its fields, each checked against
//! what the executor runs for its type.

use crate::choice::Rule;
use crate::error::DefinitionError;
use crate::fields::{optional_path, positive, Fields};
use crate::model::{Kind, Next, Resource, State, Task};
use crate::retry::{catcher, check_retry_order, retrier};
use crate::template::Template;
use serde_json::Value;

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
const COMMON: &[&str] = &["Type", "Comment"];
const PATHS: &[&str] = &["InputPath", "OutputPath"];

pub(crate) fn parse_state(name: &str, body: Fields) -> Result<State, DefinitionError> {
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
