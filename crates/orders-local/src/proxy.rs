//! The Lambda proxy codec: an HTTP request as the REST API proxy event
//! (`ApiGatewayProxyRequest` JSON) API Gateway would send, and a proxy
//! response as the HTTP response API Gateway makes of it.

use crate::config::STAGE;
use crate::state::BoxError;
use axum::body::Body;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http::StatusCode;
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyResponse;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the event says beyond the request itself.
pub(crate) struct EventContext<'a> {
    /// The resource template, `/orders/{orderId}`.
    pub resource: &'a str,
    /// The method the resource was called with (`GET` for a `HEAD`).
    pub method: &'a str,
    /// `{name}` values of the path, still percent-encoded.
    pub path_parameters: &'a [(String, String)],
    pub request_id: &'a str,
    pub peer: Option<SocketAddr>,
}

/// Query parameters and headers, single- and multi-valued, as the event
/// carries them.
fn single_and_multi<'a>(pairs: impl Iterator<Item = (String, String)> + 'a) -> (Value, Value) {
    let mut single = Map::new();
    let mut multi: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (k, v) in pairs {
        single.insert(k.clone(), Value::String(v.clone()));
        multi.entry(k).or_default().push(Value::String(v));
    }
    if single.is_empty() {
        return (Value::Null, Value::Null);
    }
    let multi = multi
        .into_iter()
        .map(|(k, v)| (k, Value::Array(v)))
        .collect();
    (Value::Object(single), Value::Object(multi))
}

/// The REST API proxy event API Gateway would send for this request.
pub(crate) fn proxy_event(parts: &http::request::Parts, body: &[u8], ctx: &EventContext) -> Value {
    let path = parts.uri.path().to_string();
    let (headers, multi_headers) = single_and_multi(parts.headers.iter().map(|(name, value)| {
        (
            name.as_str().to_string(),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        )
    }));
    let (query, multi_query) = single_and_multi(
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    let path_parameters = if ctx.path_parameters.is_empty() {
        Value::Null
    } else {
        ctx.path_parameters
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(percent_decode(v))))
            .collect::<Map<_, _>>()
            .into()
    };
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(body) {
            Ok(s) => (Value::String(s.to_string()), false),
            Err(_) => (Value::String(B64.encode(body)), true),
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    json!({
        "resource": ctx.resource,
        "path": path,
        "httpMethod": ctx.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": ctx.resource,
            "httpMethod": ctx.method,
            "extendedRequestId": ctx.request_id,
            "requestId": ctx.request_id,
            // No stage prefix locally, so the Location the function builds
            // from this path works against the host as it is.
            "path": path,
            "stage": STAGE,
            "domainName": header("host").unwrap_or("127.0.0.1"),
            "domainPrefix": "local",
            "protocol": "HTTP/1.1",
            "requestTime": "",
            "requestTimeEpoch": now,
            "identity": {
                "apiKey": header("x-api-key").unwrap_or_default(),
                "apiKeyId": "local",
                "sourceIp": ctx.peer.map(|p| p.ip().to_string()).unwrap_or_else(|| "127.0.0.1".into()),
                "userAgent": header("user-agent"),
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// What API Gateway makes of a proxy response.
pub(crate) fn from_proxy_response(proxy: ApiGatewayProxyResponse) -> Result<Response, BoxError> {
    let body: Vec<u8> = match proxy.body {
        None => Vec::new(),
        Some(b) if proxy.is_base64_encoded => B64.decode(b.as_ref())?,
        Some(b) => b.as_ref().to_vec(),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(u16::try_from(proxy.status_code)?)?;
    let headers = resp.headers_mut();
    for (k, v) in &proxy.multi_value_headers {
        headers.append(k, v.clone());
    }
    for (k, v) in &proxy.headers {
        if !headers.contains_key(k) {
            headers.insert(k, v.clone());
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_fields() {
        let req = http::Request::builder()
            .method("HEAD")
            .uri("/orders/a%20b?limit=1&limit=2&x=y")
            .header("x-api-key", "k")
            .header("host", "127.0.0.1:1")
            .body(())
            .unwrap();
        let (parts, _) = req.into_parts();
        let params = [("orderId".to_string(), "a%20b".to_string())];
        let e = proxy_event(
            &parts,
            b"{}",
            &EventContext {
                resource: "/orders/{orderId}",
                method: "GET",
                path_parameters: &params,
                request_id: "r-1",
                peer: None,
            },
        );
        assert_eq!(e["httpMethod"], "GET");
        assert_eq!(e["pathParameters"]["orderId"], "a b");
        assert_eq!(e["queryStringParameters"]["limit"], "2");
        assert_eq!(
            e["multiValueQueryStringParameters"]["limit"],
            json!(["1", "2"])
        );
        assert_eq!(e["requestContext"]["identity"]["apiKey"], "k");
        assert_eq!(e["requestContext"]["domainName"], "127.0.0.1:1");
        assert_eq!(e["body"], "{}");
        let (parts, _) = http::Request::new(()).into_parts();
        let e = proxy_event(
            &parts,
            b"",
            &EventContext {
                resource: "/orders",
                method: "GET",
                path_parameters: &[],
                request_id: "r",
                peer: None,
            },
        );
        assert!(e["headers"].is_null() && e["pathParameters"].is_null() && e["body"].is_null());
    }
}
