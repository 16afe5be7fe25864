//! Choice rules: comparisons of a `Variable` with a literal or another path
//! (String, Numeric and Boolean `Equals`, `LessThan`, `GreaterThan`,
//! `LessThanEquals`, `GreaterThanEquals`, each also as `...Path`), the type
//! tests `IsPresent`, `IsNull`, `IsString`, `IsNumeric`, `IsBoolean`, and
//! `And`, `Or`, `Not`. Timestamp comparisons and `StringMatches` are refused.

use crate::path::ReferencePath;
use serde_json::{Map, Value};
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Numeric,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Test {
    Present,
    Null,
    String,
    Numeric,
    Boolean,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Literal(Value),
    Path(ReferencePath),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        variable: ReferencePath,
        kind: Kind,
        cmp: Cmp,
        operand: Operand,
    },
    Is {
        variable: ReferencePath,
        test: Test,
        expected: bool,
    },
}

fn parse_operator(name: &str) -> Option<Result<(Kind, Cmp, bool), Test>> {
    let tests = [
        ("IsPresent", Test::Present),
        ("IsNull", Test::Null),
        ("IsString", Test::String),
        ("IsNumeric", Test::Numeric),
        ("IsBoolean", Test::Boolean),
    ];
    if let Some((_, t)) = tests.iter().find(|(n, _)| *n == name) {
        return Some(Err(*t));
    }
    let (base, is_path) = match name.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (name, false),
    };
    let (kind, rest) = [
        ("String", Kind::String),
        ("Numeric", Kind::Numeric),
        ("Boolean", Kind::Boolean),
    ]
    .into_iter()
    .find_map(|(p, k)| base.strip_prefix(p).map(|r| (k, r)))?;
    let cmp = match rest {
        "Equals" => Cmp::Eq,
        "LessThan" if kind != Kind::Boolean => Cmp::Lt,
        "GreaterThan" if kind != Kind::Boolean => Cmp::Gt,
        "LessThanEquals" if kind != Kind::Boolean => Cmp::Le,
        "GreaterThanEquals" if kind != Kind::Boolean => Cmp::Ge,
        _ => return None,
    };
    Some(Ok((kind, cmp, is_path)))
}

fn literal_fits(kind: Kind, v: &Value) -> bool {
    match kind {
        Kind::String => v.is_string(),
        Kind::Numeric => v.is_number(),
        Kind::Boolean => v.is_boolean(),
    }
}

impl Rule {
    /// Parses one rule. `top` rules carry `Next` (read by the caller);
    /// nested ones must not. The error is `(field, problem)`.
    pub(crate) fn parse(rule: &Map<String, Value>, top: bool) -> Result<Self, (String, String)> {
        let err = |f: &str, p: &str| Err((f.to_string(), p.to_string()));
        let mut operator = None;
        for key in rule.keys() {
            match key.as_str() {
                "Variable" | "Comment" => {}
                "Next" if top => {}
                _ if operator.is_some() => return err(key, "is a second operator in one rule"),
                _ => operator = Some(key.as_str()),
            }
        }
        let Some(op) = operator else {
            return err("Choices", "has a rule without an operator");
        };
        let value = &rule[op];
        let nested = |v: &Value| match v {
            Value::Object(m) => Rule::parse(m, false),
            _ => Err((op.to_string(), "must hold rule objects".to_string())),
        };
        match op {
            "And" | "Or" => {
                let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
                    return err(op, "must be a non-empty array of rules");
                };
                let rules = items.iter().map(nested).collect::<Result<Vec<_>, _>>()?;
                return Ok(if op == "And" {
                    Self::And(rules)
                } else {
                    Self::Or(rules)
                });
            }
            "Not" => return Ok(Self::Not(Box::new(nested(value)?))),
            _ => {}
        }
        let Some(parsed) = parse_operator(op) else {
            return err(op, "is not supported");
        };
        let variable = match rule.get("Variable").and_then(Value::as_str) {
            Some(v) => ReferencePath::parse(v).map_err(|e| ("Variable".to_string(), e))?,
            None => return err("Variable", "is required and must be a string"),
        };
        match parsed {
            Err(test) => match value.as_bool() {
                Some(expected) => Ok(Self::Is {
                    variable,
                    test,
                    expected,
                }),
                None => err(op, "must be a boolean"),
            },
            Ok((kind, cmp, is_path)) => {
                let operand = if is_path {
                    match value.as_str().map(ReferencePath::parse) {
                        Some(Ok(p)) => Operand::Path(p),
                        Some(Err(e)) => return Err((op.to_string(), e)),
                        None => return err(op, "must be a string path"),
                    }
                } else if literal_fits(kind, value) {
                    Operand::Literal(value.clone())
                } else {
                    return err(op, "has a value of the wrong type");
                };
                Ok(Self::Compare {
                    variable,
                    kind,
                    cmp,
                    operand,
                })
            }
        }
    }

    /// Whether the rule holds for `input`. A variable (or operand path) that
    /// names nothing is an error (`States.Runtime`), except for `IsPresent`.
    pub(crate) fn eval(&self, input: &Value) -> Result<bool, String> {
        let missing = |p: &ReferencePath| {
            format!("Invalid path '{p}': The choice state's condition path references an invalid value.")
        };
        Ok(match self {
            Self::And(rules) => {
                for r in rules {
                    if !r.eval(input)? {
                        return Ok(false);
                    }
                }
                true
            }
            Self::Or(rules) => {
                for r in rules {
                    if r.eval(input)? {
                        return Ok(true);
                    }
                }
                false
            }
            Self::Not(rule) => !rule.eval(input)?,
            Self::Is {
                variable,
                test,
                expected,
            } => {
                let value = variable.get(input);
                let actual = match (test, value) {
                    (Test::Present, v) => v.is_some(),
                    (_, None) => return Err(missing(variable)),
                    (Test::Null, Some(v)) => v.is_null(),
                    (Test::String, Some(v)) => v.is_string(),
                    (Test::Numeric, Some(v)) => v.is_number(),
                    (Test::Boolean, Some(v)) => v.is_boolean(),
                };
                actual == *expected
            }
            Self::Compare {
                variable,
                kind,
                cmp,
                operand,
            } => {
                let left = variable.get(input).ok_or_else(|| missing(variable))?;
                let right = match operand {
                    Operand::Literal(v) => v,
                    Operand::Path(p) => p.get(input).ok_or_else(|| missing(p))?,
                };
                let ordering = match kind {
                    Kind::String => match (left.as_str(), right.as_str()) {
                        (Some(l), Some(r)) => Some(l.cmp(r)),
                        _ => None,
                    },
                    Kind::Numeric => match (left.as_f64(), right.as_f64()) {
                        (Some(l), Some(r)) => l.partial_cmp(&r),
                        _ => None,
                    },
                    Kind::Boolean => match (left.as_bool(), right.as_bool()) {
                        (Some(l), Some(r)) => Some(l.cmp(&r)),
                        _ => None,
                    },
                };
                // A value of another type never matches (as in Step Functions).
                ordering.is_some_and(|o| match cmp {
                    Cmp::Eq => o == Ordering::Equal,
                    Cmp::Lt => o == Ordering::Less,
                    Cmp::Gt => o == Ordering::Greater,
                    Cmp::Le => o != Ordering::Greater,
                    Cmp::Ge => o != Ordering::Less,
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> Rule {
        Rule::parse(v.as_object().unwrap(), true).unwrap()
    }

    fn holds(r: Value, input: Value) -> bool {
        rule(r).eval(&input).unwrap()
    }

    #[test]
    fn string_numeric_and_boolean_comparisons() {
        let i = json!({"s": "b", "n": 5, "f": 2.5, "t": true, "other": "b", "m": 5});
        assert!(holds(
            json!({"Variable": "$.s", "StringEquals": "b"}),
            i.clone()
        ));
        assert!(!holds(
            json!({"Variable": "$.s", "StringEquals": "c"}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.s", "StringEqualsPath": "$.other"}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.s", "StringLessThan": "c"}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.s", "StringGreaterThanEquals": "b"}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.n", "NumericEquals": 5}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.n", "NumericEqualsPath": "$.m"}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.f", "NumericLessThan": 3}),
            i.clone()
        ));
        assert!(!holds(
            json!({"Variable": "$.f", "NumericGreaterThan": 3}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.n", "NumericLessThanEquals": 5}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.n", "NumericGreaterThanEquals": 5.0}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.t", "BooleanEquals": true}),
            i.clone()
        ));
        // Another type never matches.
        assert!(!holds(
            json!({"Variable": "$.n", "StringEquals": "5"}),
            i.clone()
        ));
        assert!(!holds(json!({"Variable": "$.s", "NumericEquals": 5}), i));
    }

    #[test]
    fn type_tests_and_missing_variables() {
        let i = json!({"x": null, "s": "a"});
        assert!(holds(
            json!({"Variable": "$.x", "IsPresent": true}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.y", "IsPresent": false}),
            i.clone()
        ));
        assert!(holds(json!({"Variable": "$.x", "IsNull": true}), i.clone()));
        assert!(holds(
            json!({"Variable": "$.s", "IsString": true}),
            i.clone()
        ));
        assert!(holds(
            json!({"Variable": "$.s", "IsNumeric": false}),
            i.clone()
        ));
        assert!(!holds(
            json!({"Variable": "$.s", "IsBoolean": true}),
            i.clone()
        ));
        let e = rule(json!({"Variable": "$.y", "StringEquals": "a"}))
            .eval(&i)
            .unwrap_err();
        assert!(e.contains("'$.y'"), "{e}");
        assert!(rule(json!({"Variable": "$.y", "IsNull": true}))
            .eval(&i)
            .is_err());
    }

    #[test]
    fn and_or_not() {
        let i = json!({"a": 1, "b": "x"});
        let a = json!({"Variable": "$.a", "NumericEquals": 1});
        let b = json!({"Variable": "$.b", "StringEquals": "y"});
        assert!(!holds(json!({"And": [a, b]}), i.clone()));
        assert!(holds(json!({"Or": [a, b]}), i.clone()));
        assert!(holds(json!({"Not": b}), i.clone()));
        assert!(holds(json!({"And": [a, {"Not": b}]}), i));
    }

    #[test]
    fn refuses_unsupported_or_malformed_rules() {
        let err = |v: Value| Rule::parse(v.as_object().unwrap(), true).unwrap_err();
        assert_eq!(
            err(json!({"Variable": "$.a", "TimestampEquals": "x"})).0,
            "TimestampEquals"
        );
        assert_eq!(
            err(json!({"Variable": "$.a", "StringMatches": "x*"})).0,
            "StringMatches"
        );
        assert_eq!(
            err(json!({"Variable": "$.a", "BooleanLessThan": true})).0,
            "BooleanLessThan"
        );
        assert_eq!(
            err(json!({"Variable": "$.a", "StringEquals": 1})).0,
            "StringEquals"
        );
        assert_eq!(
            err(json!({"Variable": "$.a", "StringEquals": "a", "IsNull": true})).1,
            "is a second operator in one rule"
        );
        assert_eq!(err(json!({"StringEquals": "a"})).0, "Variable");
        assert_eq!(
            err(json!({"Not": {"Variable": "$.a", "IsNull": true, "Next": "X"}})).0,
            "Next"
        );
    }
}
