//! What API Gateway does before a function runs, in its order, from
//! `contracts/gateway.json`:
//!
//! 1. the resource (unknown: 404, see the contract's `localDifferences`);
//! 2. `OPTIONS` is the CORS preflight (the gateway's mock integration);
//! 3. the method (`HEAD` is `GET` without the body; another: 405 with
//!    `Allow`);
//! 4. `x-api-key` (missing or wrong: the `INVALID_API_KEY` response);
//! 5. the body: refused past `maxBodyBytes` (413, read no further than
//!    needed), cut short or badly chunked (400), too slow (408);
//! 6. the request model: a body that is not the model's content type is 415
//!    (`UNSUPPORTED_MEDIA_TYPE`), malformed JSON or a schema problem 400;
//! 7. the request becomes the proxy event and the function runs.
//!
//! Every answer gets CORS (the preflight has its own) and
//! `x-amzn-RequestId`.

use crate::errors::{
    body_error, error_answer, gateway_answer, internal, method_not_allowed, not_found,
};
use crate::local_api::{answer, health, local_resource};
use crate::local_queues;
use crate::proxy::{from_proxy_response, proxy_event, EventContext};
use crate::routes::{invoke, model_problems, Route};
use crate::state::AppState;
use crate::ui;
use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use orders_core::OrdersError;
use orders_http::gateway::{check_media_type, contract, RequestModel};
use std::net::SocketAddr;
use std::time::Duration;
use tracing::Instrument;

/// The request id header API Gateway puts on every response.
pub(crate) const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// The two ends of a request's connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ends {
    pub(crate) peer: Option<SocketAddr>,
    /// The host's address the client connected to (the status page's
    /// `Host` check).
    pub(crate) local: Option<SocketAddr>,
}

/// Every request: the gateway's checks, then the function.
pub(crate) async fn dispatch(state: &AppState, ends: Ends, req: Request<Body>) -> Response {
    let request_id = uuid::Uuid::now_v7().to_string();
    let span = tracing::info_span!(
        "local",
        request_id = %request_id,
        method = %req.method(),
        path = %req.uri().path()
    );
    let req_headers = req.headers().clone();
    let is_head = req.method() == Method::HEAD;
    let started = std::time::Instant::now();
    let mut resp = checks(state, ends, req, &request_id)
        .instrument(span.clone())
        .await;
    // CORS on every answer, like the gateway responses and the functions do.
    let is_preflight = resp
        .headers()
        .contains_key(http::header::ACCESS_CONTROL_ALLOW_METHODS);
    if !is_preflight {
        strip_cors(resp.headers_mut());
        state.cors.apply(&req_headers, resp.headers_mut());
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    if is_head {
        without_body(&mut resp);
    }
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request done"
        )
    });
    resp
}

/// The answer to `HEAD`: the `GET` answer's status and headers, its length,
/// no body.
fn without_body(resp: &mut Response) {
    if let Some(len) = resp.body().size_hint().exact() {
        resp.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    *resp.body_mut() = Body::empty();
}

fn strip_cors(headers: &mut HeaderMap) {
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

async fn checks(state: &AppState, ends: Ends, req: Request<Body>, request_id: &str) -> Response {
    let Some(route) = Route::of(req.uri().path()) else {
        return not_found(request_id);
    };
    let method = req.method().clone();
    if method == Method::OPTIONS && !matches!(route, Route::Health | Route::Page(_)) {
        return preflight(state, req.headers());
    }
    let as_get = if method == Method::HEAD {
        Method::GET
    } else {
        method
    };
    let (spec, params) = match &route {
        Route::Health if as_get == Method::GET => return health(),
        Route::Page(asset) if as_get == Method::GET => {
            return ui::page(asset, req.headers(), ends.local, request_id)
        }
        Route::Redrive(queue) if as_get == Method::POST => {
            return redrive(state, queue, req, request_id).await
        }
        Route::Redrive(_) => return method_not_allowed(request_id, &route.allow()),
        Route::Api { spec, params } => (*spec, params),
        _ if as_get != Method::GET => return method_not_allowed(request_id, &route.allow()),
        _ => {
            if !key_ok(state, req.headers()) {
                return gateway_answer("INVALID_API_KEY", 403, request_id);
            }
            return local_resource(state, &route, req.uri().query(), request_id).await;
        }
    };
    let Some(method_spec) = spec.methods.get(as_get.as_str()) else {
        return method_not_allowed(request_id, &route.allow());
    };
    let (parts, body) = match keyed_body(state, req, request_id).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    if let Some(model) = &method_spec.request_model {
        if let Err(e) = check_media_type(model, &parts.headers, body.is_empty()) {
            tracing::info!(reason = %e, "media type refused");
            return gateway_answer("UNSUPPORTED_MEDIA_TYPE", 415, request_id);
        }
        if let Err(e) = request_model_check(&model.schema, &body) {
            return error_answer(&e, request_id);
        }
    }
    let ctx = EventContext {
        resource: &spec.path,
        method: as_get.as_str(),
        path_parameters: params,
        request_id,
        peer: ends.peer,
    };
    let event = proxy_event(&parts, &body, &ctx);
    let answer = invoke(state, method_spec, event, request_id)
        .await
        .and_then(|v| from_proxy_response(serde_json::from_value(v)?));
    match answer {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, "handler failed");
            internal(request_id)
        }
    }
}

/// `POST /local/queues/{queue}/redrive`: the key, the body (optional, JSON),
/// then the redrive.
async fn redrive(state: &AppState, queue: &str, req: Request<Body>, request_id: &str) -> Response {
    let (parts, body) = match keyed_body(state, req, request_id).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let json = RequestModel {
        content_type: orders_http::JSON.into(),
        schema: String::new(),
    };
    if let Err(e) = check_media_type(&json, &parts.headers, body.is_empty()) {
        tracing::info!(reason = %e, "media type refused");
        return gateway_answer("UNSUPPORTED_MEDIA_TYPE", 415, request_id);
    }
    match local_queues::redrive(state, queue, &body).await {
        Ok(None) => not_found(request_id),
        other => answer(other.map(Option::unwrap_or_default), request_id),
    }
}

/// The request's head and body once its `x-api-key` is right, or the
/// answer that refuses it: the key (403), then the body (too large,
/// unreadable, too slow).
async fn keyed_body(
    state: &AppState,
    req: Request<Body>,
    request_id: &str,
) -> Result<(http::request::Parts, Bytes), Response> {
    if !key_ok(state, req.headers()) {
        return Err(gateway_answer("INVALID_API_KEY", 403, request_id));
    }
    let (parts, body) = req.into_parts();
    match read_body(&parts.headers, body, state.timeouts.body_read).await {
        Ok(b) => Ok((parts, b)),
        Err(BodyRefused::TooLarge(e)) => Err(error_answer(&e, request_id)),
        Err(BodyRefused::Unreadable(problem)) => Err(body_error(400, &problem, request_id)),
        Err(BodyRefused::TooSlow(after)) => {
            let problem = format!("did not arrive within {} s", after.as_secs_f64());
            Err(body_error(408, &problem, request_id))
        }
    }
}

fn key_ok(state: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get("x-api-key")
        .is_some_and(|k| state.api_key_matches(k.as_bytes()))
}

fn preflight(state: &AppState, headers: &HeaderMap) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    // No allow-* headers when the origin is not allowed: the browser refuses.
    state.cors.apply_preflight(headers, resp.headers_mut());
    resp
}

#[derive(Debug)]
enum BodyRefused {
    TooLarge(OrdersError),
    Unreadable(String),
    TooSlow(Duration),
}

/// Reads the body within `timeout`, refusing (413) once it would pass the
/// contract's limit: a declared `content-length` over it is refused without
/// reading at all. A body that ends early or is badly chunked is unreadable.
async fn read_body(
    headers: &HeaderMap,
    mut body: Body,
    timeout: Duration,
) -> Result<Bytes, BodyRefused> {
    let limit = contract().max_body_bytes;
    let too_large = || BodyRefused::TooLarge(OrdersError::PayloadTooLarge { limit });
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let read = async {
        let mut buf = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| BodyRefused::Unreadable(body_problem(&e)))?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    return Err(too_large());
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(buf))
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| BodyRefused::TooSlow(timeout))?
}

/// What went wrong with a body, in words for the client.
fn body_problem(e: &axum::Error) -> String {
    let text = e.to_string();
    tracing::info!(error = %text, "request body unreadable");
    if text.contains("incomplete") || text.contains("early eof") {
        "ended before its declared length (or last chunk)".into()
    } else {
        "is not valid HTTP/1.1 framing (malformed chunk)".into()
    }
}

/// The gateway's request validator: the body must be JSON and match the
/// request model. An empty body goes on to the function, which says
/// precisely what is missing.
fn request_model_check(schema: &str, body: &[u8]) -> Result<(), OrdersError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| OrdersError::MalformedJson(e.to_string()))?;
    match model_problems(schema, &value) {
        Some(problems) if !problems.is_empty() => Err(OrdersError::Validation(problems)),
        Some(_) => Ok(()),
        None => {
            tracing::error!(schema, "no validator for this request model");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = "schemas/create-order.schema.json";

    #[test]
    fn model_check() {
        assert!(request_model_check(MODEL, b"").is_ok());
        assert!(matches!(
            request_model_check(MODEL, b"{"),
            Err(OrdersError::MalformedJson(_))
        ));
        assert!(matches!(
            request_model_check(MODEL, br#"{"customerId":"c"}"#),
            Err(OrdersError::Validation(_))
        ));
    }
}
