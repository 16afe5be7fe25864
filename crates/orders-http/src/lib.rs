//! What the HTTP functions (and the local host) share: the request id, JSON
//! and error responses, and CORS. Logging and metrics are set up by
//! `orders-telemetry`.
//!
//! Every response is `content-type: application/json`; every error uses the
//! one error model ([`orders_core::error::ErrorBody`]).

use lambda_http::http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, VARY};
use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use orders_core::OrdersError;
use std::sync::OnceLock;

pub use tracing;

/// `content-type` of every response.
pub const JSON: &str = "application/json";

/// The id a client can quote: API Gateway's `requestContext.requestId`,
/// else the Lambda invocation id.
pub fn request_id(req: &Request) -> Option<String> {
    if let Some(RequestContext::ApiGatewayV1(ctx)) = req.request_context_ref() {
        if let Some(id) = ctx.request_id.as_deref().filter(|s| !s.is_empty()) {
            return Some(id.to_string());
        }
    }
    req.lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|s| !s.is_empty())
}

/// The API Gateway request-context path (`/dev/orders`: with the stage, as
/// the client called it), if the event carries one.
pub fn request_context_path(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.path.clone().filter(|p| !p.is_empty()),
        _ => None,
    }
}

/// A span for one request: API Gateway's request id and the Lambda
/// invocation id, so every log line of the request carries both.
pub fn request_span(req: &Request, route: &'static str) -> tracing::Span {
    let api_request_id = request_id(req).unwrap_or_default();
    let lambda_request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        route,
        request_id = %api_request_id,
        lambda_request_id = %lambda_request_id,
    )
}

/// A JSON response with the given status and body.
pub fn json_response(status: u16, body: impl Into<String>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = Response::new(Body::Text(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    resp
}

/// The error model for `err`; 5xx are logged at error level, 4xx at info.
/// The body is never logged.
pub fn error_response(err: &OrdersError, request_id: Option<&str>) -> Response<Body> {
    let status = err.status();
    if status >= 500 {
        tracing::error!(status, code = err.code(), error = %err, "request failed");
    } else {
        tracing::info!(status, code = err.code(), "request rejected");
    }
    json_response(status, err.to_body(request_id).to_json())
}

/// Headers a browser may read from a response.
pub const EXPOSED_HEADERS: &str = "Location, Idempotent-Replayed";
/// Methods of the API (preflight answer).
pub const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
/// Request headers the API accepts (preflight answer).
pub const ALLOWED_HEADERS: &str =
    "Content-Type, X-Api-Key, Idempotency-Key, Authorization, X-Amz-Date, X-Amz-Security-Token";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";

/// Which browser origins may call the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
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
        Self::parse(&std::env::var("ALLOWED_ORIGINS").unwrap_or_default())
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
                response_headers.insert(EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_HEADERS));
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
        response_headers.insert(ALLOW_ORIGIN, v);
        response_headers.insert(ALLOW_METHODS, HeaderValue::from_static(ALLOWED_METHODS));
        response_headers.insert(ALLOW_HEADERS, HeaderValue::from_static(ALLOWED_HEADERS));
        response_headers.insert(MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE));
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

/// The last step of every function: CORS (from `ALLOWED_ORIGINS`) on the way out.
pub fn finish(req: &Request, mut resp: Response<Body>) -> Response<Body> {
    Cors::global().apply(req.headers(), resp.headers_mut());
    resp
}

/// Runs one HTTP use case the way every function does: inside the request
/// span (request ids on every log line), its error turned into the error
/// model with the request id, CORS on the way out.
///
/// `work` is the use case's future, made from the same `req`
/// (`respond(&event, "GET /orders", list(store, &event))`).
pub async fn respond(
    req: &Request,
    route: &'static str,
    work: impl std::future::Future<Output = Result<Response<Body>, OrdersError>>,
) -> Result<Response<Body>, lambda_http::Error> {
    use tracing::Instrument;
    let resp = async {
        match work.await {
            Ok(resp) => resp,
            Err(e) => error_response(&e, request_id(req).as_deref()),
        }
    }
    .instrument(request_span(req, route))
    .await;
    Ok(finish(req, resp))
}

/// A value as a JSON response (200 unless said otherwise).
pub fn to_json_response<T: serde::Serialize>(
    status: u16,
    value: &T,
) -> Result<Response<Body>, OrdersError> {
    let body = serde_json::to_string(value)
        .map_err(|e| OrdersError::Store(orders_core::StoreError::Corrupt(e.to_string())))?;
    Ok(json_response(status, body))
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
    fn cors_headers() {
        let c = Cors::parse("http://a.test");
        let mut req = HeaderMap::new();
        req.insert(ORIGIN, HeaderValue::from_static("http://a.test"));
        let mut out = HeaderMap::new();
        c.apply(&req, &mut out);
        assert_eq!(out[ALLOW_ORIGIN], "http://a.test");
        assert_eq!(out[VARY], "Origin");
        assert_eq!(out[EXPOSE_HEADERS], EXPOSED_HEADERS);

        let mut other = HeaderMap::new();
        other.insert(ORIGIN, HeaderValue::from_static("http://evil.test"));
        let mut out = HeaderMap::new();
        c.apply(&other, &mut out);
        assert!(out.get(ALLOW_ORIGIN).is_none());
        assert!(!c.apply_preflight(&other, &mut out));
        let mut out = HeaderMap::new();
        assert!(c.apply_preflight(&req, &mut out));
        assert_eq!(out[ALLOW_METHODS], ALLOWED_METHODS);
    }

    #[test]
    fn error_bodies() {
        let resp = error_response(&OrdersError::NotFound("x".into()), Some("r-1"));
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.headers()[CONTENT_TYPE], JSON);
        let Body::Text(body) = resp.body() else {
            panic!("text body")
        };
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "NOT_FOUND");
        assert_eq!(v["error"]["requestId"], "r-1");
    }
}
