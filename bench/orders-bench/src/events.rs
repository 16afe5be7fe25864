//! API Gateway REST API (v1) Lambda proxy events, built the way API Gateway
//! sends them (the check of what the functions post back is in
//! [`crate::proxy_response`]).

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
}
