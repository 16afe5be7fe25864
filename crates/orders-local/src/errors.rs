//! The host's own answers: JSON, and every refusal in the error model
//! (`contracts/schemas/error.schema.json`), as the functions and the
//! deployed gateway's responses give them.

use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use http::StatusCode;
use orders_core::OrdersError;
use orders_http::{add_error_headers, error_body, status_of, ErrorBody};

pub(crate) fn json_answer(status: StatusCode, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(orders_http::JSON));
    resp
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A use-case error, as the function would answer it (`Retry-After` on a 503).
pub(crate) fn error_answer(err: &OrdersError, request_id: &str) -> Response {
    tracing::info!(
        status = status_of(err),
        code = err.code(),
        "refused by the gateway"
    );
    let mut resp = json_answer(
        status(status_of(err)),
        error_body(err, Some(request_id)).to_json(),
    );
    add_error_headers(err, resp.headers_mut());
    resp
}

/// One of the deployed gateway's responses (`contracts/gateway.json`),
/// with `status` for the `DEFAULT_*` families that have none of their own.
pub(crate) fn gateway_answer(kind: &str, fallback_status: u16, request_id: &str) -> Response {
    let r = orders_http::gateway::contract().response(kind);
    let code = r.status.unwrap_or(fallback_status);
    tracing::info!(status = code, code = %r.code, kind, "refused by the gateway");
    json_answer(status(code), r.body(Some(request_id)).to_json())
}

/// An answer in the error model the deployed gateway has no response for
/// (the local differences of `contracts/gateway.json`, local resources).
pub(crate) fn model_error(code: u16, error: &str, message: &str, request_id: &str) -> Response {
    tracing::info!(status = code, code = error, "refused by the gateway");
    json_answer(
        status(code),
        ErrorBody::new(error, message, Vec::new(), Some(request_id)).to_json(),
    )
}

/// The codes the host answers with itself, beyond the functions'
/// ([`OrdersError::CODES`]) and the deployed gateway's responses.
pub(crate) mod codes {
    /// An unknown path (the deployed gateway answers 403 instead).
    pub(crate) const NOT_FOUND: &str = "NOT_FOUND";
    /// A method the resource does not have.
    pub(crate) const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    /// A body or request line that could not be read.
    pub(crate) const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The status page asked for under a host name other than localhost's.
    pub(crate) const FORBIDDEN: &str = "FORBIDDEN";
    /// Every code above (the error schema test holds them to the schema).
    #[cfg(test)]
    pub(crate) const ALL: &[&str] = &[NOT_FOUND, METHOD_NOT_ALLOWED, BAD_REQUEST, FORBIDDEN];
}

pub(crate) fn not_found(request_id: &str) -> Response {
    model_error(404, codes::NOT_FOUND, "no such resource", request_id)
}

pub(crate) fn method_not_allowed(request_id: &str, allow: &str) -> Response {
    let mut resp = model_error(
        405,
        codes::METHOD_NOT_ALLOWED,
        "this method is not allowed on this resource",
        request_id,
    );
    if let Ok(v) = HeaderValue::from_str(allow) {
        resp.headers_mut().insert(ALLOW, v);
    }
    resp
}

/// A function that failed: API Gateway answers 502 for a failed Lambda
/// proxy invocation, with the DEFAULT_5XX response.
pub(crate) fn internal(request_id: &str) -> Response {
    gateway_answer("DEFAULT_5XX", 502, request_id)
}

/// The body could not be read (cut short, a malformed chunk, too slow):
/// `code` BAD_REQUEST with the reason under `body`; the connection closes
/// after it, as its framing is lost.
pub(crate) fn body_error(code: u16, problem: &str, request_id: &str) -> Response {
    tracing::info!(status = code, problem, "request body refused");
    let details = vec![orders_core::error::FieldError::new("body", problem)];
    let mut resp = json_answer(
        status(code),
        ErrorBody::new(
            codes::BAD_REQUEST,
            "the request body could not be read",
            details,
            Some(request_id),
        )
        .to_json(),
    );
    resp.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The error model's codes are exactly what is emitted: by the
    /// functions (every `OrdersError` variant), by the deployed gateway
    /// (contracts/gateway.json) and by the host itself; a code nobody
    /// emits has no place in the schema clients validate against.
    #[test]
    fn the_error_schema_lists_exactly_the_emitted_codes() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../contracts/schemas/error.schema.json"))
                .unwrap();
        let listed: BTreeSet<&str> = schema["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let gateway = orders_http::gateway::contract();
        let emitted: BTreeSet<&str> = OrdersError::CODES
            .iter()
            .copied()
            .chain(gateway.gateway_responses.iter().map(|r| r.code.as_str()))
            .chain(codes::ALL.iter().copied())
            .collect();
        assert_eq!(listed, emitted);
    }
}
