//! The ASL document, parsed into typed states. Everything the executor does
//! not run is refused here, with the state and field named, so a definition
//! cannot drift past the executor: a definition that loads runs as Step
//! Functions would run it.

use crate::error::DefinitionError;
use crate::fields::positive;
use crate::model::State;
use crate::states::parse_state;
use serde_json::Value;
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
