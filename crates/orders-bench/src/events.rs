//! API Gateway REST API (v1) Lambda proxy events, built the way API Gateway
//! sends them, and a check of the proxy responses the functions post back.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

pub const API_ID: &str = "b3nch0rd3r";
pub const STAGE: &str = "bench";
pub const API_KEY: &str = "bench-api-key-0123456789abcdef";

/// A valid `POST /orders` body (two lines, exact prices as strings).
pub const CREATE_BODY: &str = r#"{"customerId":"bench-customer-1","customerName":"Bench Customer","customerEmail":"bench@example.com","currency":"EUR","items":[{"sku":"SKU-RED-MUG","quantity":2,"price":"12.50"},{"sku":"SKU-TEA-100G","quantity":1,"price":"7.99"}]}"#;

/// A request the validation must refuse (a price with three decimals).
pub const INVALID_BODY: &str =
    r#"{"customerId":"bench-customer-1","items":[{"sku":"SKU-1","quantity":1,"price":"1.999"}]}"#;

/// A well-formed UUID v7 that no run ever creates.
pub const UNKNOWN_ORDER_ID: &str = "01900000-0000-7000-8000-00000000beef";

pub struct EventSpec<'a> {
    pub method: &'a str,
    /// Resource template, e.g. `/orders/{orderId}`.
    pub resource: &'a str,
    /// Concrete path, e.g. `/orders/0190...`.
    pub path: &'a str,
    pub path_parameters: &'a [(&'a str, &'a str)],
    pub query: &'a [(&'a str, &'a str)],
    pub extra_headers: &'a [(&'a str, &'a str)],
    pub body: Option<&'a str>,
}

/// One API Gateway REST proxy event, in the exact shape API Gateway sends.
pub fn rest_proxy_event(spec: &EventSpec<'_>, seq: u64) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let request_id = format!("c6af9ac6-7b61-11e6-9a41-{seq:012x}");
    let domain = format!("{API_ID}.execute-api.us-east-1.amazonaws.com");
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in [
        ("Accept", "application/json"),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("CloudFront-Forwarded-Proto", "https"),
        ("CloudFront-Is-Desktop-Viewer", "true"),
        ("CloudFront-Viewer-Country", "DE"),
        ("Host", domain.as_str()),
        ("User-Agent", "orders-bench/0.1"),
        (
            "Via",
            "2.0 f4e8c1a2b3d4e5f6a7b8c9d0e1f2a3b4.cloudfront.net (CloudFront)",
        ),
        (
            "X-Amz-Cf-Id",
            "cDehVQoZnx43VYQb9j2-nvCh-9z396Uhbp027Y2JvkCPNLmGJHqlaA==",
        ),
        (
            "X-Amzn-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        ),
        ("X-Forwarded-For", "198.51.100.7, 130.176.0.1"),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
        ("x-api-key", API_KEY),
    ] {
        headers.insert(k.to_string(), v.to_string());
    }
    if spec.body.is_some() {
        headers.insert("Content-Type".into(), "application/json".into());
    }
    for (k, v) in spec.extra_headers {
        headers.insert((*k).to_string(), (*v).to_string());
    }
    let multi_headers: Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.clone(), json!([v])))
        .collect();
    let headers: Map<String, Value> = headers
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();

    let (query, multi_query) = if spec.query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let mut single = Map::new();
        let mut multi: Map<String, Value> = Map::new();
        for (k, v) in spec.query {
            single.insert((*k).to_string(), json!(v));
            match multi.get_mut(*k) {
                Some(Value::Array(a)) => a.push(json!(v)),
                _ => {
                    multi.insert((*k).to_string(), json!([v]));
                }
            }
        }
        (Value::Object(single), Value::Object(multi))
    };
    let path_parameters = if spec.path_parameters.is_empty() {
        Value::Null
    } else {
        Value::Object(
            spec.path_parameters
                .iter()
                .map(|(k, v)| ((*k).to_string(), json!(v)))
                .collect(),
        )
    };

    json!({
        "resource": spec.resource,
        "path": spec.path,
        "httpMethod": spec.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": spec.resource,
            "httpMethod": spec.method,
            "extendedRequestId": format!("Bench{seq:010}Id="),
            "requestTime": "22/Nov/2026:02:01:33 +0000",
            "path": format!("/{STAGE}{}", spec.path),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": API_ID,
            "requestTimeEpoch": now.as_millis() as u64,
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": null,
                "accountId": null,
                "cognitoIdentityId": null,
                "caller": null,
                "sourceIp": "198.51.100.7",
                "principalOrgId": null,
                "accessKey": null,
                "cognitoAuthenticationType": null,
                "cognitoAuthenticationProvider": null,
                "userArn": null,
                "userAgent": "orders-bench/0.1",
                "user": null,
                "apiKey": API_KEY,
                "apiKeyId": "k3y1d00001"
            },
            "domainName": domain,
            "apiId": API_ID
        },
        "body": spec.body,
        "isBase64Encoded": false
    })
}

/// What a proxy response looked like.
#[derive(Debug, Clone)]
pub struct Checked {
    pub status: u16,
    pub body: Option<Value>,
    /// Empty when the response is a well-formed REST proxy response.
    pub problems: Vec<String>,
}

/// Checks a REST proxy integration response: only the keys API Gateway
/// accepts, an integer status, string headers, a string body; a JSON body
/// that parses, and the error model on 4xx/5xx.
pub fn check_proxy_response(raw: &[u8]) -> Checked {
    let mut problems = Vec::new();
    let value: Value = match serde_json::from_slice(raw) {
        Ok(v) => v,
        Err(e) => {
            return Checked {
                status: 0,
                body: None,
                problems: vec![format!("not JSON: {e}")],
            }
        }
    };
    let Some(obj) = value.as_object() else {
        return Checked {
            status: 0,
            body: None,
            problems: vec!["not a JSON object".into()],
        };
    };
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "statusCode" | "headers" | "multiValueHeaders" | "body" | "isBase64Encoded"
        ) {
            problems.push(format!("unexpected key {key:?} (API Gateway answers 502)"));
        }
    }
    let status = match obj.get("statusCode").and_then(Value::as_u64) {
        Some(s) if (100..=599).contains(&s) => s as u16,
        other => {
            problems.push(format!(
                "statusCode must be an integer 100-599, got {other:?}"
            ));
            0
        }
    };
    let mut content_type = None;
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                match v.as_str() {
                    Some(s) if k.eq_ignore_ascii_case("content-type") => {
                        content_type = Some(s.to_string())
                    }
                    Some(_) => {}
                    None => problems.push(format!("header {k} is not a string")),
                }
            }
        }
        Some(_) => problems.push("headers is not an object".into()),
    }
    match obj.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let ok = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
                if !ok {
                    problems.push(format!("multiValueHeaders.{k} is not an array of strings"));
                }
                if content_type.is_none() && k.eq_ignore_ascii_case("content-type") {
                    content_type = v.get(0).and_then(Value::as_str).map(str::to_string);
                }
            }
        }
        Some(_) => problems.push("multiValueHeaders is not an object".into()),
    }
    let base64 = match obj.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.push("isBase64Encoded is not a boolean".into());
            false
        }
    };
    let body_text = match obj.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            problems.push("body is not a string".into());
            None
        }
    };
    let mut body = None;
    if let Some(text) = body_text.filter(|t| !t.is_empty()) {
        let is_json = content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json") || c.contains("+json"));
        if content_type.is_none() {
            problems.push("body without a Content-Type header".into());
        }
        if is_json && !base64 {
            match serde_json::from_str::<Value>(text) {
                Ok(v) => body = Some(v),
                Err(e) => problems.push(format!("JSON body does not parse: {e}")),
            }
        }
    }
    if status >= 400 {
        let code = body
            .as_ref()
            .and_then(|b| b.pointer("/error/code"))
            .and_then(Value::as_str);
        let message = body
            .as_ref()
            .and_then(|b| b.pointer("/error/message"))
            .and_then(Value::as_str);
        if code.is_none() || message.is_none() {
            problems.push("error response without the error model {error:{code,message}}".into());
        }
    }
    Checked {
        status,
        body,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_has_rest_proxy_shape() {
        let e = rest_proxy_event(
            &EventSpec {
                method: "GET",
                resource: "/orders",
                path: "/orders",
                path_parameters: &[],
                query: &[("status", "PENDING")],
                extra_headers: &[],
                body: None,
            },
            7,
        );
        assert_eq!(e["httpMethod"], "GET");
        assert_eq!(e["queryStringParameters"]["status"], "PENDING");
        assert_eq!(e["multiValueQueryStringParameters"]["status"][0], "PENDING");
        assert_eq!(e["requestContext"]["path"], "/bench/orders");
        assert_eq!(e["requestContext"]["identity"]["apiKey"], API_KEY);
        assert!(e["pathParameters"].is_null());
        assert!(e["body"].is_null());
        assert_eq!(e["isBase64Encoded"], false);
    }

    #[test]
    fn accepts_a_good_response() {
        let raw = br#"{"statusCode":201,"headers":{"content-type":"application/json"},"multiValueHeaders":{},"body":"{\"orderId\":\"x\"}","isBase64Encoded":false}"#;
        let c = check_proxy_response(raw);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.status, 201);
        assert_eq!(c.body.unwrap()["orderId"], "x");
    }

    #[test]
    fn flags_bad_responses() {
        let c = check_proxy_response(br#"{"statusCode":"200","body":{"a":1},"extra":1}"#);
        assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
        let c = check_proxy_response(
            br#"{"statusCode":500,"headers":{"content-type":"application/json"},"body":"{\"message\":\"x\"}"}"#,
        );
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    }
}
