//! Opaque, integrity-checked page tokens.
//!
//! A token is `base64url(payload) "." base64url(HMAC-SHA256(payload))`. The
//! payload names the query it belongs to (status, sort order) and the cursor
//! (the sort key of the last item returned). Anything altered, truncated or
//! issued for another query or another table is refused.

use crate::error::OrdersError;
use crate::model::{parse_timestamp, OrderStatus};
use crate::ports::SortOrder;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

const VERSION: u8 = 1;
const MAX_TOKEN_LEN: usize = 1024;

/// Signs and checks page tokens with one key (on AWS: the table name, so a
/// token from another stage is foreign).
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    s: Option<OrderStatus>,
    o: SortOrder,
    c: String,
}

impl PageTokens {
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        Self {
            key: key.as_ref().to_vec(),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// A token that resumes the query after `cursor`.
    pub fn encode(&self, status: Option<OrderStatus>, order: SortOrder, cursor: &str) -> String {
        let payload = serde_json::to_vec(&Payload {
            v: VERSION,
            s: status,
            o: order,
            c: cursor.to_string(),
        })
        .expect("payload serializes");
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", B64.encode(&payload), B64.encode(tag))
    }

    /// The cursor of a token issued by [`encode`](Self::encode) for this very query.
    pub fn decode(
        &self,
        token: &str,
        status: Option<OrderStatus>,
        order: SortOrder,
    ) -> Result<String, OrdersError> {
        let bad = || OrdersError::InvalidPageToken;
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(bad());
        }
        let (p, t) = token.split_once('.').ok_or_else(bad)?;
        let payload = B64.decode(p).map_err(|_| bad())?;
        let tag = B64.decode(t).map_err(|_| bad())?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| bad())?;
        let payload: Payload = serde_json::from_slice(&payload).map_err(|_| bad())?;
        if payload.v != VERSION || payload.s != status || payload.o != order {
            return Err(bad());
        }
        if !is_sort_key(&payload.c) {
            return Err(bad());
        }
        Ok(payload.c)
    }
}

/// `<RFC 3339 ms>#<uuid>`.
fn is_sort_key(s: &str) -> bool {
    match s.split_once('#') {
        Some((ts, id)) => {
            ts.len() == 24 && parse_timestamp(ts).is_some() && Uuid::parse_str(id).is_ok()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{new_order_id, sort_key};
    use proptest::prelude::*;

    fn cursor() -> String {
        let (id, t) = new_order_id();
        sort_key(t, id)
    }

    #[test]
    fn round_trip() {
        let codec = PageTokens::new("orders-dev");
        let c = cursor();
        let tok = codec.encode(Some(OrderStatus::Pending), SortOrder::Desc, &c);
        assert_eq!(
            codec
                .decode(&tok, Some(OrderStatus::Pending), SortOrder::Desc)
                .unwrap(),
            c
        );
    }

    #[test]
    fn foreign_tokens_are_refused() {
        let codec = PageTokens::new("orders-dev");
        let tok = codec.encode(Some(OrderStatus::Pending), SortOrder::Desc, &cursor());
        assert!(codec
            .decode(&tok, Some(OrderStatus::Failed), SortOrder::Desc)
            .is_err());
        assert!(codec
            .decode(&tok, Some(OrderStatus::Pending), SortOrder::Asc)
            .is_err());
        assert!(codec.decode(&tok, None, SortOrder::Desc).is_err());
        assert!(PageTokens::new("orders-prod")
            .decode(&tok, Some(OrderStatus::Pending), SortOrder::Desc)
            .is_err());
        assert!(codec
            .decode("eyJpZCI6IjEyMyJ9", None, SortOrder::Desc)
            .is_err());
        assert!(codec.decode("", None, SortOrder::Desc).is_err());
        assert!(codec
            .decode(&"a".repeat(5000), None, SortOrder::Desc)
            .is_err());
    }

    proptest! {
        #[test]
        fn any_single_change_is_detected(pos in 0usize..200, ch in "[A-Za-z0-9_.-]") {
            let codec = PageTokens::new("k");
            let tok = codec.encode(None, SortOrder::Asc, &cursor());
            let pos = pos % tok.len();
            let mut bytes = tok.clone().into_bytes();
            bytes[pos] = ch.as_bytes()[0];
            let altered = String::from_utf8(bytes).unwrap();
            prop_assume!(altered != tok);
            prop_assert!(codec.decode(&altered, None, SortOrder::Asc).is_err());
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,300}") {
            let codec = PageTokens::new("k");
            let _ = codec.decode(&s, None, SortOrder::Desc);
        }
    }
}
