//! The contract's e-mail rule (`customerEmail.pattern` in
//! `contracts/schemas/create-order.schema.json`) checked by code instead of
//! by a compiled regex.
//!
//! The rule counts characters (`{1,64}` for the local part, `{0,61}` inside
//! each domain label) over a class that is nearly all of Unicode, so its
//! automaton holds some 250 copies of a large UTF-8 class. The generated
//! validator compiles a pattern's regex at its first use, and this one would
//! take about 2 ms of CPU on create-order's first request (about 28 ms at
//! 128 MB, where that CPU is shared).
//!
//! The gateway still validates with the pattern itself, and this copy is
//! bound to it: `build.rs` replaces only a `pattern` that is exactly the
//! one in `email_shape/swap.rs` (any other pattern stays a regex), a test fails
//! when the contract's pattern is no longer that string, and another checks
//! [`is_email`] against `jsonschema`'s own regex for the pattern on
//! generated addresses (the independent implementation it must agree with).

// The pattern and the swap `build.rs` makes (it compiles that file too).
#[cfg(test)]
mod swap;

use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError};
use jsonschema_regex::is_ecma_whitespace;
use serde_json::{Map, Value};

/// What a pattern error says, so [`ValidationError`]s of the keyword read
/// as the pattern's would.
const MESSAGE: &str = "does not match the e-mail pattern";

/// A character every part of the address may hold.
fn allowed(c: char) -> bool {
    c != '@' && c > '\u{1f}' && c != '\u{7f}' && !is_ecma_whitespace(c)
}

/// One domain label: 1 to 63 allowed characters other than `.`, the first
/// and the last not `-`.
fn is_label(label: &str) -> bool {
    let n = label.chars().count();
    (1..=63).contains(&n)
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c != '.' && allowed(c))
}

/// Whether `s` matches the contract's e-mail pattern.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_chars = local.chars().count();
    (1..=64).contains(&local_chars)
        && local.chars().all(allowed)
        && domain.split('.').count() >= 2
        && domain.split('.').all(is_label)
}

/// The swapped-in keyword: strings must be [`is_email`]; other types pass, as they
/// pass `pattern`.
struct EmailShape;

impl<'i> Keyword<'i> for EmailShape {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.is_valid(instance) {
            Ok(())
        } else {
            Err(ValidationError::custom(MESSAGE))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        instance.as_str().is_none_or(is_email)
    }
}

/// The factory the generated validator builds that keyword with.
pub fn keyword<'a>(
    _parent: &'a Map<String, Value>,
    _value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    Ok(Box::new(EmailShape))
}

#[cfg(test)]
mod tests {
    use super::swap::{swap_pattern, EMAIL_PATTERN, KEYWORD};
    use super::*;
    use crate::CREATE_ORDER_SCHEMA;
    use proptest::prelude::*;
    use serde_json::json;
    use std::sync::LazyLock;

    /// `jsonschema`'s own regex for the pattern: the oracle.
    static PATTERN: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
        jsonschema::draft4::new(&json!({ "type": "string", "pattern": EMAIL_PATTERN }))
            .expect("pattern compiles")
    });

    fn regex_says(s: &str) -> bool {
        PATTERN.is_valid(&json!(s))
    }

    #[test]
    fn the_contract_states_this_pattern() {
        let schema: Value = serde_json::from_str(CREATE_ORDER_SCHEMA).unwrap();
        assert_eq!(
            schema["properties"]["customerEmail"]["pattern"].as_str(),
            Some(EMAIL_PATTERN),
            "the contract's e-mail pattern changed: update EMAIL_PATTERN and is_email together"
        );
        let mut swapped = schema.clone();
        assert_eq!(swap_pattern(&mut swapped), 1);
        let email = &swapped["properties"]["customerEmail"];
        assert!(email.get("pattern").is_none());
        assert_eq!(email[KEYWORD].as_str(), Some(EMAIL_PATTERN));
        // Nothing else moved.
        swapped["properties"]["customerEmail"]
            .as_object_mut()
            .unwrap()
            .remove(KEYWORD);
        let mut original = schema;
        original["properties"]["customerEmail"]
            .as_object_mut()
            .unwrap()
            .remove("pattern");
        assert_eq!(swapped, original);
    }

    #[test]
    fn other_patterns_stay() {
        let mut schema = json!({ "pattern": "^[a-z]+$", "items": [{ "pattern": EMAIL_PATTERN }] });
        assert_eq!(swap_pattern(&mut schema), 1);
        assert_eq!(schema["pattern"], "^[a-z]+$");
        assert_eq!(schema["items"][0][KEYWORD], EMAIL_PATTERN);
    }

    #[test]
    fn agrees_with_the_regex_at_the_edges() {
        let l64 = "a".repeat(64);
        let l63 = "b".repeat(63);
        let cases = [
            "a@b.c".to_string(),
            "ab@example.com".into(),
            "first.last+tag@sub.example.co.uk".into(),
            "ü@exämple.日本".into(),
            "😀@a.b".into(),
            "a-b@x-y.z".into(),
            format!("{l64}@x.y"),
            format!("{l64}a@x.y"),
            format!("a@{l63}.{l63}"),
            format!("a@{l63}b.c"),
            "@b.c".into(),
            "a@b".into(),
            "a@b.".into(),
            "a@.b".into(),
            "a@b..c".into(),
            "a@-b.c".into(),
            "a@b-.c".into(),
            "a@b.-".into(),
            "a@b.c-".into(),
            "a@@b.c".into(),
            "a@b@c.d".into(),
            "a b@c.d".into(),
            "a\u{a0}b@c.d".into(),
            "a\u{feff}@c.d".into(),
            "a\u{85}@c.d".into(),
            "a\u{1f}@c.d".into(),
            "a\u{7f}@c.d".into(),
            "a@c.d\n".into(),
            "\na@c.d".into(),
            ".@c.d".into(),
            "".into(),
        ];
        for s in &cases {
            assert_eq!(is_email(s), regex_says(s), "{s:?}");
        }
    }

    /// Characters around every edge of the rule.
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '.', '-', '_', '+', '@', ' ', '\t', '\n', '\r', '\u{0}', '\u{1f}', '\u{7f}',
        '\u{85}', '\u{a0}', '\u{1680}', '\u{2003}', '\u{200b}', '\u{2028}', '\u{3000}', '\u{feff}',
        'é', '日', '😀',
    ];

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ALPHABET), 0..max)
            .prop_map(|cs| cs.into_iter().collect())
    }

    fn plain(min: usize, max: usize) -> impl Strategy<Value = String> {
        (min..=max).prop_map(|n| "x".repeat(n))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_with_the_regex_on_any_text(s in text(24)) {
            prop_assert_eq!(is_email(&s), regex_says(&s), "{:?}", s);
        }

        #[test]
        fn agrees_with_the_regex_on_address_shapes(
            local in prop_oneof![text(6), plain(60, 66)],
            labels in proptest::collection::vec(prop_oneof![text(5), plain(60, 66)], 0..4),
        ) {
            let s = format!("{local}@{}", labels.join("."));
            prop_assert_eq!(is_email(&s), regex_says(&s), "{:?}", s);
        }
    }
}
