//! What the HTTP functions (and the local host) share: the request id, JSON
//! and error responses, CORS ([`Cors`]) and the gateway contract
//! ([`gateway`]). Logging and metrics are set up by `orders-telemetry`.
//!
//! Every response is `content-type: application/json`; every error uses the
//! one error model ([`ErrorBody`]), with the status of [`status_of`].

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use orders_core::OrdersError;

mod cors;
pub mod gateway;

pub use cors::Cors;
pub use tracing;

mod built;
mod error;
pub mod headers;

pub use built::Built;

pub use error::{
    add_error_headers, error_body, retry_after_of, status_of, ErrorBody, ErrorInner,
    RETRY_AFTER_SECS,
};

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

/// The error model for `err`, with `Retry-After` on a 503
/// ([`add_error_headers`]); 5xx are logged at error level, 4xx at info.
/// The body is never logged.
pub fn error_response(err: &OrdersError, request_id: Option<&str>) -> Response<Body> {
    let status = status_of(err);
    if status >= 500 {
        tracing::error!(status, code = err.code(), error = %err, "request failed");
    } else {
        tracing::info!(status, code = err.code(), "request rejected");
    }
    let mut resp = json_response(status, error_body(err, request_id).to_json());
    add_error_headers(err, resp.headers_mut());
    resp
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
        assert!(resp.headers().get("retry-after").is_none());
    }

    #[test]
    fn unavailable_says_when_to_retry() {
        let err = OrdersError::Store(orders_core::StoreError::Unavailable("throttled".into()));
        let resp = error_response(&err, Some("r-2"));
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()["retry-after"], "1");
    }
}
