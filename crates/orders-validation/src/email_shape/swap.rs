//! What create-order's request validator is generated from: the contract's
//! schema with its e-mail `pattern` replaced by [`KEYWORD`]. Also compiled
//! into `build.rs`, which generates the validator, so it needs nothing but
//! `serde_json`.

use serde_json::Value;

/// `customerEmail.pattern` of the create-order schema, the rule
/// `is_email` states: a local part of 1 to 64 characters, `@`, then two
/// or more dot-separated labels of 1 to 63 characters that neither start
/// nor end with `-`; no `@`, whitespace (ECMA-262 `\s`, as `jsonschema`
/// reads it), control character or DEL anywhere, and no `.` in a label.
pub const EMAIL_PATTERN: &str = r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.-]([^@\s\x00-\x1f\x7f.]{0,61}[^@\s\x00-\x1f\x7f.-])?(\.[^@\s\x00-\x1f\x7f.-]([^@\s\x00-\x1f\x7f.]{0,61}[^@\s\x00-\x1f\x7f.-])?)+$";

/// The keyword the validator's copy of the schema carries in place of that
/// `pattern`.
pub const KEYWORD: &str = "x-orders-email-shape";

/// Replaces every `pattern` in `schema` that is exactly [`EMAIL_PATTERN`]
/// with [`KEYWORD`] (holding the pattern, for the record); how many.
pub fn swap_pattern(schema: &mut Value) -> usize {
    match schema {
        Value::Object(map) => {
            let mut swapped = 0;
            if map.get("pattern").and_then(Value::as_str) == Some(EMAIL_PATTERN) {
                if let Some(pattern) = map.remove("pattern") {
                    map.insert(KEYWORD.into(), pattern);
                    swapped += 1;
                }
            }
            swapped + map.values_mut().map(swap_pattern).sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(swap_pattern).sum(),
        _ => 0,
    }
}
