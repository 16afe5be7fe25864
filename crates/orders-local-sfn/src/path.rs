//! Reference paths, the subset of JSONPath that Step Functions allows in
//! `InputPath`, `OutputPath`, `ResultPath`, a Choice rule's `Variable` and a
//! template's `.$` values: `$`, `$.a.b`, `$['a']`, `$.a[0]`. Anything
//! else (wildcards, filters, slices, `..`, the context object `$$`) is
//! refused when the definition is loaded.

use serde_json::{Map, Value};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Field(String),
    Index(usize),
}

/// A parsed reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePath {
    text: String,
    segments: Vec<Segment>,
}

impl fmt::Display for ReferencePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl ReferencePath {
    /// `$`: the whole document.
    pub fn root() -> Self {
        Self {
            text: "$".into(),
            segments: Vec::new(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Parses `text`; the error says what is not a reference path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| Err(format!("\"{text}\" is not a reference path: {why}"));
        if text.starts_with("$$") {
            return bad("the context object is not supported");
        }
        let Some(mut rest) = text.strip_prefix('$') else {
            return bad("it must start with $");
        };
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let name = &after[..end];
                if name.is_empty() || name == "*" || name.contains(['@', ' ', '?', '(', ')']) {
                    return bad("each field after a dot must be a plain name");
                }
                segments.push(Segment::Field(name.to_string()));
                rest = &after[end..];
            } else if let Some(after) = rest.strip_prefix("['") {
                let Some(end) = after.find("']") else {
                    return bad("unterminated ['...']");
                };
                segments.push(Segment::Field(after[..end].to_string()));
                rest = &after[end + 2..];
            } else if let Some(after) = rest.strip_prefix('[') {
                let Some(end) = after.find(']') else {
                    return bad("unterminated [...]");
                };
                let index = &after[..end];
                if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                    return bad("an index must be a non-negative integer");
                }
                let n = index
                    .parse()
                    .map_err(|_| format!("\"{text}\": index too large"))?;
                segments.push(Segment::Index(n));
                rest = &after[end + 1..];
            } else {
                return bad("expected . or [");
            }
        }
        Ok(Self {
            text: text.to_string(),
            segments,
        })
    }

    /// The value the path names, if it exists.
    pub fn get<'a>(&self, mut value: &'a Value) -> Option<&'a Value> {
        for segment in &self.segments {
            value = match segment {
                Segment::Field(name) => value.as_object()?.get(name)?,
                Segment::Index(i) => value.as_array()?.get(*i)?,
            };
        }
        Some(value)
    }

    /// `target` with `value` placed at this path (`ResultPath`): missing
    /// objects on the way are created; a non-object in the way, or an index
    /// past an array's end, is an error.
    pub fn set(&self, target: Value, value: Value) -> Result<Value, String> {
        if self.segments.is_empty() {
            return Ok(value);
        }
        let mut root = target;
        let mut slot = &mut root;
        for segment in &self.segments {
            slot = match segment {
                Segment::Field(name) => {
                    if slot.is_null() {
                        *slot = Value::Object(Map::new());
                    }
                    let Some(object) = slot.as_object_mut() else {
                        return Err(format!(
                            "cannot set \"{}\": the value at field \"{name}\"'s parent is not an object",
                            self.text
                        ));
                    };
                    object.entry(name.clone()).or_insert(Value::Null)
                }
                Segment::Index(i) => match slot.as_array_mut().and_then(|a| a.get_mut(*i)) {
                    Some(element) => element,
                    None => {
                        return Err(format!(
                            "cannot set \"{}\": index {i} is not in an array",
                            self.text
                        ))
                    }
                },
            };
        }
        *slot = value;
        Ok(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_fields_quoted_fields_and_indexes() {
        let doc = json!({"a": {"b": [10, {"c d": true}]}, "x": null});
        let get = |p: &str| ReferencePath::parse(p).unwrap().get(&doc).cloned();
        assert_eq!(get("$"), Some(doc.clone()));
        assert_eq!(get("$.a.b[0]"), Some(json!(10)));
        assert_eq!(get("$['a'].b[1]['c d']"), Some(json!(true)));
        assert_eq!(get("$.x"), Some(Value::Null));
        assert_eq!(get("$.missing"), None);
        assert_eq!(get("$.a.b[5]"), None);
        assert_eq!(get("$.a.b.c"), None);
    }

    #[test]
    fn refuses_what_is_not_a_reference_path() {
        for p in [
            "a.b",
            "$.a[*]",
            "$..a",
            "$.a[?(@.b)]",
            "$.a[-1]",
            "$.a[0:2]",
            "$$.Execution",
            "$.",
            "$.a[",
            "$['a'",
        ] {
            assert!(ReferencePath::parse(p).is_err(), "{p} should be refused");
        }
    }

    #[test]
    fn sets_creating_objects_and_refusing_non_objects() {
        let p = ReferencePath::parse("$.a.b").unwrap();
        assert_eq!(
            p.set(json!({"k": 1}), json!(2)).unwrap(),
            json!({"k": 1, "a": {"b": 2}})
        );
        assert_eq!(
            p.set(json!({"a": {"b": 1, "c": 3}}), json!(2)).unwrap(),
            json!({"a": {"b": 2, "c": 3}})
        );
        assert!(p.set(json!({"a": 5}), json!(2)).is_err());
        assert!(p.set(json!([1]), json!(2)).is_err());
        assert_eq!(
            ReferencePath::root()
                .set(json!({"k": 1}), json!(7))
                .unwrap(),
            json!(7)
        );
        let i = ReferencePath::parse("$.l[1]").unwrap();
        assert_eq!(
            i.set(json!({"l": [0, 0]}), json!(9)).unwrap(),
            json!({"l": [0, 9]})
        );
        assert!(i.set(json!({"l": [0]}), json!(9)).is_err());
    }
}
