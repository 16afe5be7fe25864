//! CORS: which origins may call the API (per stage), and the policy the
//! deployed gateway's preflight uses too (`contracts/gateway.json`).

use crate::gateway::contract;
use lambda_http::http::header::{HeaderMap, HeaderName, HeaderValue, VARY};
use std::sync::OnceLock;

/// Which browser origins may call the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
}

/// The contract's policy as header values, built once.
struct PolicyHeaders {
    expose: HeaderValue,
    methods: HeaderValue,
    headers: HeaderValue,
    max_age: HeaderValue,
}

fn policy() -> &'static PolicyHeaders {
    static POLICY: OnceLock<PolicyHeaders> = OnceLock::new();
    POLICY.get_or_init(|| {
        let c = &contract().cors;
        let value = |v: String| HeaderValue::from_str(&v).expect("CORS policy is ASCII");
        PolicyHeaders {
            expose: value(c.expose_headers.join(", ")),
            methods: value(c.allow_methods.join(", ")),
            headers: value(c.allow_headers.join(", ")),
            max_age: value(c.max_age_seconds.to_string()),
        }
    })
}

impl Cors {
    /// From a comma-separated list; `*` allows every origin. Blank entries
    /// are ignored, as is a trailing `/` on an origin.
    pub fn parse(list: &str) -> Self {
        let mut cors = Self::default();
        for o in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if o == "*" {
                cors.any = true;
            } else {
                cors.origins.push(o.trim_end_matches('/').to_string());
            }
        }
        cors
    }

    /// From env `ALLOWED_ORIGINS` (unset: no origin is allowed).
    pub fn from_env() -> Self {
        Self::parse(&std::env::var(orders_core::contract::env::ALLOWED_ORIGINS).unwrap_or_default())
    }

    /// The process-wide set, read from the environment once.
    pub fn global() -> &'static Cors {
        static CORS: OnceLock<Cors> = OnceLock::new();
        CORS.get_or_init(Self::from_env)
    }

    pub fn allows(&self, origin: &str) -> bool {
        !origin.is_empty() && (self.any || self.origins.iter().any(|o| o == origin))
    }

    /// The request's `Origin` if it is allowed.
    pub fn allowed_origin<'a>(&self, request_headers: &'a HeaderMap) -> Option<&'a str> {
        request_headers
            .get(lambda_http::http::header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|o| self.allows(o))
    }

    /// Adds the CORS headers of an actual (non-preflight) response.
    pub fn apply(&self, request_headers: &HeaderMap, response_headers: &mut HeaderMap) {
        add_vary_origin(response_headers);
        if let Some(origin) = self.allowed_origin(request_headers) {
            if let Ok(v) = HeaderValue::from_str(origin) {
                response_headers.insert(ALLOW_ORIGIN, v);
                response_headers.insert(EXPOSE_HEADERS, policy().expose.clone());
            }
        }
    }

    /// Adds the headers of a preflight answer; false if the origin is not allowed.
    pub fn apply_preflight(
        &self,
        request_headers: &HeaderMap,
        response_headers: &mut HeaderMap,
    ) -> bool {
        add_vary_origin(response_headers);
        let Some(origin) = self.allowed_origin(request_headers) else {
            return false;
        };
        let Ok(v) = HeaderValue::from_str(origin) else {
            return false;
        };
        let p = policy();
        response_headers.insert(ALLOW_ORIGIN, v);
        response_headers.insert(ALLOW_METHODS, p.methods.clone());
        response_headers.insert(ALLOW_HEADERS, p.headers.clone());
        response_headers.insert(MAX_AGE, p.max_age.clone());
        true
    }
}

const ALLOW_ORIGIN: HeaderName = HeaderName::from_static("access-control-allow-origin");
const EXPOSE_HEADERS: HeaderName = HeaderName::from_static("access-control-expose-headers");
const ALLOW_METHODS: HeaderName = HeaderName::from_static("access-control-allow-methods");
const ALLOW_HEADERS: HeaderName = HeaderName::from_static("access-control-allow-headers");
const MAX_AGE: HeaderName = HeaderName::from_static("access-control-max-age");

fn add_vary_origin(headers: &mut HeaderMap) {
    let has = headers.get_all(VARY).iter().any(|v| {
        v.to_str()
            .is_ok_and(|s| s.to_ascii_lowercase().contains("origin"))
    });
    if !has {
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::header::ORIGIN;

    #[test]
    fn cors_lists() {
        let c = Cors::parse(" http://a.test , http://b.test/ ,");
        assert!(c.allows("http://a.test"));
        assert!(c.allows("http://b.test"));
        assert!(!c.allows("http://c.test"));
        assert!(!c.allows(""));
        assert!(Cors::parse("*").allows("https://anything.example"));
        assert!(!Cors::parse("").allows("http://a.test"));
    }

    #[test]
    fn cors_headers_follow_the_contract() {
        let policy = &contract().cors;
        let c = Cors::parse("http://a.test");
        let mut req = HeaderMap::new();
        req.insert(ORIGIN, HeaderValue::from_static("http://a.test"));
        let mut out = HeaderMap::new();
        c.apply(&req, &mut out);
        assert_eq!(out[ALLOW_ORIGIN], "http://a.test");
        assert_eq!(out[VARY], "Origin");
        assert_eq!(
            out[EXPOSE_HEADERS],
            "Location, Idempotent-Replayed, x-amzn-RequestId"
        );
        assert_eq!(
            out[EXPOSE_HEADERS],
            policy.expose_headers.join(", ").as_str()
        );

        let mut other = HeaderMap::new();
        other.insert(ORIGIN, HeaderValue::from_static("http://evil.test"));
        let mut out = HeaderMap::new();
        c.apply(&other, &mut out);
        assert!(out.get(ALLOW_ORIGIN).is_none());
        assert!(!c.apply_preflight(&other, &mut out));
        let mut out = HeaderMap::new();
        assert!(c.apply_preflight(&req, &mut out));
        assert_eq!(out[ALLOW_METHODS], "GET, POST, OPTIONS");
        assert_eq!(out[ALLOW_HEADERS], policy.allow_headers.join(", ").as_str());
        assert_eq!(out[MAX_AGE], policy.max_age_seconds.to_string().as_str());
    }
}
