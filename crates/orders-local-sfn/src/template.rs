//! Payload templates: `Parameters` and `ResultSelector`. A key ending in
//! `.$` takes the value its reference path names in the input; nested
//! objects and arrays are templates too; everything else is copied.

use crate::path::ReferencePath;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Template {
    Const(Value),
    Path { key: String, path: ReferencePath },
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

impl Template {
    /// Parses a template; the error names the offending key (dotted from
    /// the template's root, e.g. `Payload.orderId.$`).
    pub(crate) fn parse(value: &Value) -> Result<Self, (String, String)> {
        Self::parse_at(value, "")
    }

    fn parse_at(value: &Value, at: &str) -> Result<Self, (String, String)> {
        let join = |key: &str| {
            if at.is_empty() {
                key.to_string()
            } else {
                format!("{at}.{key}")
            }
        };
        Ok(match value {
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (key, v) in map {
                    if let Some(name) = key.strip_suffix(".$") {
                        let Some(text) = v.as_str() else {
                            return Err((join(key), "must be a string path".into()));
                        };
                        if text.starts_with("States.") {
                            return Err((
                                join(key),
                                "uses an intrinsic function, which is not supported".into(),
                            ));
                        }
                        let path = ReferencePath::parse(text).map_err(|e| (join(key), e))?;
                        fields.push((
                            name.to_string(),
                            Self::Path {
                                key: key.clone(),
                                path,
                            },
                        ));
                    } else {
                        fields.push((key.clone(), Self::parse_at(v, &join(key))?));
                    }
                }
                if fields.iter().all(|(_, t)| matches!(t, Self::Const(_))) {
                    Self::Const(value.clone())
                } else {
                    Self::Object(fields)
                }
            }
            Value::Array(items) => {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::parse_at(v, &format!("{at}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                if items.iter().all(|t| matches!(t, Self::Const(_))) {
                    Self::Const(value.clone())
                } else {
                    Self::Array(items)
                }
            }
            other => Self::Const(other.clone()),
        })
    }

    /// The template filled from `input`. A path that names nothing is an
    /// error (`States.Runtime` for the caller).
    pub(crate) fn apply(&self, input: &Value) -> Result<Value, String> {
        Ok(match self {
            Self::Const(v) => v.clone(),
            Self::Path { key, path } => path.get(input).cloned().ok_or_else(|| {
                format!(
                    "The JSONPath '{path}' specified for the field '{key}' could not be found in the input '{input}'"
                )
            })?,
            Self::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (name, t) in fields {
                    out.insert(name.clone(), t.apply(input)?);
                }
                Value::Object(out)
            }
            Self::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.apply(input))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_paths_in_nested_objects_and_arrays() {
        let t = Template::parse(&json!({
            "FunctionName": "payments",
            "Payload": {"action": "charge", "orderId.$": "$.orderId", "lines": [{"sku.$": "$.sku"}, 1]},
            "whole.$": "$"
        }))
        .unwrap();
        let input = json!({"orderId": "o1", "sku": "A"});
        assert_eq!(
            t.apply(&input).unwrap(),
            json!({
                "FunctionName": "payments",
                "Payload": {"action": "charge", "orderId": "o1", "lines": [{"sku": "A"}, 1]},
                "whole": input
            })
        );
    }

    #[test]
    fn a_missing_path_is_an_error_naming_the_field() {
        let t = Template::parse(&json!({"status.$": "$.Payload.status"})).unwrap();
        let e = t.apply(&json!({"Payload": {}})).unwrap_err();
        assert!(
            e.contains("'$.Payload.status'") && e.contains("'status.$'"),
            "{e}"
        );
        // A present null is a value, not a missing path.
        assert_eq!(
            t.apply(&json!({"Payload": {"status": null}})).unwrap(),
            json!({"status": null})
        );
    }

    #[test]
    fn refuses_intrinsics_context_paths_and_non_strings() {
        let err = |v: Value| Template::parse(&v).unwrap_err();
        assert_eq!(err(json!({"a": {"b.$": "States.Format('x')"}})).0, "a.b.$");
        assert!(err(json!({"a.$": "$$.Execution.Name"}))
            .1
            .contains("context object"));
        assert_eq!(err(json!({"a.$": 5})).1, "must be a string path");
    }
}
