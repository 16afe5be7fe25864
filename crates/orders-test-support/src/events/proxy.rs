//! API Gateway REST API (v1) Lambda proxy events built from scratch, in the
//! exact shape API Gateway sends them, for callers without a fixture (the
//! benchmarks feed them to the built functions).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::{with_header, with_query};

/// Who the events come through: the API, its stage and the caller's key.
#[derive(Debug, Clone, Copy)]
pub struct Gateway<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub api_key: &'a str,
    /// The caller's `User-Agent`.
    pub user_agent: &'a str,
}

/// One request.
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

/// One API Gateway REST proxy event through `gw`; `seq` makes its request
/// ids unique.
pub fn rest_proxy_event(gw: &Gateway<'_>, spec: &EventSpec<'_>, seq: u64) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let request_id = format!("c6af9ac6-7b61-11e6-9a41-{seq:012x}");
    let domain = format!("{}.execute-api.us-east-1.amazonaws.com", gw.api_id);
    let mut headers: Vec<(&str, &str)> = vec![
        ("Accept", "application/json"),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("CloudFront-Forwarded-Proto", "https"),
        ("CloudFront-Is-Desktop-Viewer", "true"),
        ("CloudFront-Viewer-Country", "DE"),
        ("Host", domain.as_str()),
        ("User-Agent", gw.user_agent),
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
        ("x-api-key", gw.api_key),
    ];
    if spec.body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    headers.extend_from_slice(spec.extra_headers);
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

    let event = json!({
        "resource": spec.resource,
        "path": spec.path,
        "httpMethod": spec.method,
        "headers": Map::new(),
        "multiValueHeaders": Map::new(),
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": spec.resource,
            "httpMethod": spec.method,
            "extendedRequestId": format!("Bench{seq:010}Id="),
            "requestTime": "22/Nov/2026:02:01:33 +0000",
            "path": format!("/{}{}", gw.stage, spec.path),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": gw.stage,
            "domainPrefix": gw.api_id,
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
                "userAgent": gw.user_agent,
                "user": null,
                "apiKey": gw.api_key,
                "apiKeyId": "k3y1d00001"
            },
            "domainName": domain,
            "apiId": gw.api_id
        },
        "body": spec.body,
        "isBase64Encoded": false
    });
    // A later header of the same name replaces an earlier one.
    let event = headers
        .into_iter()
        .fold(event, |e, (name, value)| with_header(e, name, value));
    with_query(event, spec.query)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GW: Gateway<'static> = Gateway {
        api_id: "t3st4p1",
        stage: "bench",
        api_key: "test-api-key",
        user_agent: "orders-test/0.1",
    };

    fn spec<'a>(query: &'a [(&'a str, &'a str)], body: Option<&'a str>) -> EventSpec<'a> {
        EventSpec {
            method: "GET",
            resource: "/orders",
            path: "/orders",
            path_parameters: &[],
            query,
            extra_headers: &[("x-api-key", "other-key")],
            body,
        }
    }

    #[test]
    fn event_has_rest_proxy_shape() {
        let e = rest_proxy_event(&GW, &spec(&[("status", "PENDING")], None), 7);
        assert_eq!(e["httpMethod"], "GET");
        assert_eq!(e["queryStringParameters"]["status"], "PENDING");
        assert_eq!(e["multiValueQueryStringParameters"]["status"][0], "PENDING");
        assert_eq!(e["requestContext"]["path"], "/bench/orders");
        assert_eq!(e["requestContext"]["identity"]["apiKey"], GW.api_key);
        assert_eq!(
            e["headers"]["Host"],
            "t3st4p1.execute-api.us-east-1.amazonaws.com"
        );
        assert_eq!(e["headers"]["x-api-key"], "other-key");
        assert_eq!(e["multiValueHeaders"]["x-api-key"], json!(["other-key"]));
        assert!(e["headers"].get("Content-Type").is_none());
        assert!(e["pathParameters"].is_null());
        assert!(e["body"].is_null());
        assert_eq!(e["isBase64Encoded"], false);
    }

    #[test]
    fn a_body_brings_its_content_type_and_no_query_is_null() {
        let e = rest_proxy_event(&GW, &spec(&[], Some("{}")), 1);
        assert_eq!(e["headers"]["Content-Type"], "application/json");
        assert_eq!(e["body"], "{}");
        assert!(e["queryStringParameters"].is_null());
        assert!(e["multiValueQueryStringParameters"].is_null());
    }

    /// What the Lambda runtime makes of it is a request like any other.
    #[test]
    fn the_runtime_reads_it() {
        let e = rest_proxy_event(&GW, &spec(&[("a", "1"), ("a", "2")], None), 2);
        let req = super::super::request(e);
        assert_eq!(req.method(), "GET");
        assert_eq!(req.headers()["x-api-key"], "other-key");
    }
}
