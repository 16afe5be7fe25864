//! Opaque page tokens, checked against the query they resume.
//!
//! A token is `base64url(JSON {"v", "s", "o", "c"})`: the format version,
//! the query it belongs to (status filter, sort order) and the cursor (the
//! index sort key `<createdAt>#<orderId>` of the last item returned).
//!
//! There is no signature, on purpose (docs/data-model.md, "Pagination
//! tokens"): a token is accepted only for the query it names, and only with
//! a cursor that is a well-formed key of that index, so a forged one can at
//! most start the caller's own listing at a position of their choosing,
//! which any API key holder can do anyway by paging. A signature would need
//! a real secret (the table name, which keyed the old one, is public); that
//! buys nothing here and costs secret management or cold-start I/O.
//!
//! Tokens of the old signed format (`payload.tag`, version 1) are refused
//! like any other malformed token: 400 `INVALID_PAGINATION_TOKEN`.

use crate::error::OrdersError;
use crate::model::{parse_order_id, parse_timestamp, OrderStatus};
use crate::ports::SortOrder;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Version 1 was the HMAC-signed format.
const VERSION: u8 = 2;
const MAX_TOKEN_LEN: usize = 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    v: u8,
    s: Option<OrderStatus>,
    o: SortOrder,
    c: String,
}

/// A token that resumes the query (`status`, `order`) after `cursor`.
pub fn encode(status: Option<OrderStatus>, order: SortOrder, cursor: &str) -> String {
    let payload = serde_json::to_vec(&Payload {
        v: VERSION,
        s: status,
        o: order,
        c: cursor.to_string(),
    })
    .expect("payload serializes");
    B64.encode(payload)
}

/// The cursor of a token issued by [`encode`] for this very query (status
/// filter and sort order), if it is a well-formed sort key.
pub fn decode(
    token: &str,
    status: Option<OrderStatus>,
    order: SortOrder,
) -> Result<String, OrdersError> {
    let bad = || OrdersError::InvalidPageToken;
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(bad());
    }
    let payload = B64.decode(token).map_err(|_| bad())?;
    let payload: Payload = serde_json::from_slice(&payload).map_err(|_| bad())?;
    if payload.v != VERSION || payload.s != status || payload.o != order {
        return Err(bad());
    }
    if !is_sort_key(&payload.c) {
        return Err(bad());
    }
    Ok(payload.c)
}

/// `<RFC 3339, UTC, milliseconds>#<uuid>`, exactly as the index stores it.
fn is_sort_key(s: &str) -> bool {
    let Some((ts, id)) = s.split_once('#') else {
        return false;
    };
    let canonical_time = parse_timestamp(ts)
        .map(crate::model::format_timestamp)
        .is_some_and(|t| t == ts);
    let canonical_id = parse_order_id(id).is_ok_and(|u| u.to_string() == id);
    canonical_time && canonical_id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{new_order_id, parse_timestamp, sort_key};
    use proptest::prelude::*;

    fn cursor() -> String {
        let (id, t) = new_order_id(parse_timestamp("2026-11-22T02:01:33.123Z").unwrap());
        sort_key(t, id)
    }

    #[test]
    fn round_trip() {
        let c = cursor();
        let tok = encode(Some(OrderStatus::Pending), SortOrder::Desc, &c);
        assert_eq!(
            decode(&tok, Some(OrderStatus::Pending), SortOrder::Desc).unwrap(),
            c
        );
        assert!(!tok.contains('.'));
    }

    #[test]
    fn tokens_of_another_query_are_refused() {
        let tok = encode(Some(OrderStatus::Pending), SortOrder::Desc, &cursor());
        assert!(decode(&tok, Some(OrderStatus::Failed), SortOrder::Desc).is_err());
        assert!(decode(&tok, Some(OrderStatus::Pending), SortOrder::Asc).is_err());
        assert!(decode(&tok, None, SortOrder::Desc).is_err());
        assert!(decode("eyJpZCI6IjEyMyJ9", None, SortOrder::Desc).is_err());
        assert!(decode("", None, SortOrder::Desc).is_err());
        assert!(decode(&"a".repeat(5000), None, SortOrder::Desc).is_err());
    }

    fn raw(json: &str) -> String {
        B64.encode(json)
    }

    #[test]
    fn cursors_must_be_keys_of_the_index() {
        let id = "019a1b2c-3d4e-7f00-8123-456789abcdef";
        let ok = format!(r#"{{"v":2,"s":null,"o":"asc","c":"2026-11-22T02:01:33.123Z#{id}"}}"#);
        assert!(decode(&raw(&ok), None, SortOrder::Asc).is_ok());
        for c in [
            "2026-11-22T02:01:33Z#".to_string() + id,
            "2026-11-22T02:01:33.123+00:00#".to_string() + id,
            format!("2026-11-22T02:01:33.123Z#{}", id.to_uppercase()),
            format!("2026-11-22T02:01:33.123Z#{}", id.replace('-', "")),
            "2026-11-22T02:01:33.123Z".into(),
            format!("{id}#2026-11-22T02:01:33.123Z"),
            format!("2026-11-22T02:01:33.123Z#{id}#x"),
            String::new(),
        ] {
            let doc = format!(r#"{{"v":2,"s":null,"o":"asc","c":"{c}"}}"#);
            assert!(decode(&raw(&doc), None, SortOrder::Asc).is_err(), "{c}");
        }
        // Extra fields, another version, a missing field.
        let extra = ok.replace(r#""v":2"#, r#""v":2,"x":1"#);
        assert!(decode(&raw(&extra), None, SortOrder::Asc).is_err());
        let v1 = ok.replace(r#""v":2"#, r#""v":1"#);
        assert!(decode(&raw(&v1), None, SortOrder::Asc).is_err());
        let no_order = ok.replace(r#","o":"asc""#, "");
        assert!(decode(&raw(&no_order), None, SortOrder::Asc).is_err());
    }

    #[test]
    fn old_signed_tokens_are_refused() {
        // `payload.tag` of the HMAC format (version 1), as issued before.
        let id = "019a1b2c-3d4e-7f00-8123-456789abcdef";
        let payload =
            format!(r#"{{"v":1,"s":null,"o":"desc","c":"2026-11-22T02:01:33.123Z#{id}"}}"#);
        let old = format!("{}.{}", raw(&payload), B64.encode([7u8; 32]));
        assert!(decode(&old, None, SortOrder::Desc).is_err());
        // Its payload alone is version 1: refused too.
        assert!(decode(&raw(&payload), None, SortOrder::Desc).is_err());
    }

    proptest! {
        /// Without a signature, an altered token is either refused or a
        /// token of the same query with a well-formed cursor: all a forger
        /// can do is choose where their own listing starts.
        #[test]
        fn an_altered_token_stays_within_its_query(pos in 0usize..200, ch in "[A-Za-z0-9_.-]") {
            let tok = encode(None, SortOrder::Asc, &cursor());
            let pos = pos % tok.len();
            let mut bytes = tok.clone().into_bytes();
            bytes[pos] = ch.as_bytes()[0];
            let altered = String::from_utf8(bytes).unwrap();
            prop_assume!(altered != tok);
            if let Ok(c) = decode(&altered, None, SortOrder::Asc) {
                prop_assert!(is_sort_key(&c));
                prop_assert!(decode(&altered, None, SortOrder::Desc).is_err());
                prop_assert!(decode(&altered, Some(OrderStatus::Pending), SortOrder::Asc).is_err());
            }
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,300}") {
            let _ = decode(&s, None, SortOrder::Desc);
        }
    }
}
