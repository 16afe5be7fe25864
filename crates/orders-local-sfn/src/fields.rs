//! Reading the fields of a state's JSON object, shared by the parsers of
//! states ([`crate::states`]) and of retriers and catchers
//! ([`crate::retry`]).

use crate::error::DefinitionError;
use crate::path::ReferencePath;
use serde_json::{Map, Value};

pub(crate) fn positive(v: &Value) -> Option<u64> {
    v.as_u64().filter(|n| *n > 0)
}

pub(crate) type Fields<'a> = &'a Map<String, Value>;

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
