//! What API Gateway does in front of the functions, read from
//! `contracts/gateway.json`: the routes, the CORS policy, the gateway's own
//! error responses and the body size limit. The CDK app reads the same file
//! (cdk/lib/gateway-contract.ts), so the deployed gateway, the functions'
//! CORS headers and the local host cannot drift apart.

use crate::ErrorBody;
use lambda_http::http::header::HeaderMap;
use orders_core::error::FieldError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The file as it is compiled in.
pub const GATEWAY_CONTRACT_JSON: &str = include_str!("../../../contracts/gateway.json");

/// The parsed contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayContract {
    /// Largest request body the API accepts (the functions refuse more with 413).
    pub max_body_bytes: usize,
    pub routes: Vec<RouteSpec>,
    pub cors: CorsPolicy,
    pub gateway_responses: Vec<GatewayResponse>,
    /// Where the local host answers differently on purpose, by case name.
    pub local_differences: BTreeMap<String, serde_json::Value>,
}

/// One API resource and its methods.
#[derive(Debug, Clone, Deserialize)]
pub struct RouteSpec {
    /// `/orders/{orderId}`: `{name}` is one path segment.
    pub path: String,
    /// By HTTP method (`GET`, `POST`).
    pub methods: BTreeMap<String, MethodSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodSpec {
    pub operation_id: String,
    /// The function crate (`lambdas/<function>`) behind the method.
    pub function: String,
    pub request_model: Option<RequestModel>,
}

/// The body a method accepts: its only content type and its JSON Schema
/// (relative to `contracts/`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestModel {
    pub content_type: String,
    pub schema: String,
}

/// CORS, except the allowed origins (per stage / host configuration).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorsPolicy {
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: u32,
}

/// One of the gateway's own answers, in the error model.
#[derive(Debug, Clone, Deserialize)]
pub struct GatewayResponse {
    /// API Gateway's response type (`INVALID_API_KEY`, `DEFAULT_4XX`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// `None` for the `DEFAULT_*` families (the status of the error itself).
    pub status: Option<u16>,
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub details: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldSpec {
    pub field: String,
    pub problem: String,
}

impl GatewayContract {
    /// The gateway response of this type. Panics on a type the contract
    /// lacks: callers name types the contract's own tests pin down.
    pub fn response(&self, kind: &str) -> &GatewayResponse {
        self.gateway_responses
            .iter()
            .find(|r| r.kind == kind)
            .unwrap_or_else(|| panic!("contracts/gateway.json has no gateway response {kind}"))
    }

    /// The route whose path template matches `path` (a trailing `/` is
    /// ignored), with the values of its `{parameters}`.
    pub fn route(&self, path: &str) -> Option<(&RouteSpec, Vec<(String, String)>)> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        self.routes
            .iter()
            .find_map(|r| r.matches(path).map(|params| (r, params)))
    }
}

impl RouteSpec {
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let want: Vec<&str> = self.path.split('/').collect();
        let got: Vec<&str> = path.split('/').collect();
        if want.len() != got.len() {
            return None;
        }
        let mut params = Vec::new();
        for (w, g) in want.iter().zip(&got) {
            match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                Some(name) if !g.is_empty() => params.push((name.to_string(), g.to_string())),
                Some(_) => return None,
                None if w == g => {}
                None => return None,
            }
        }
        Some(params)
    }

    /// The `Allow` header of the resource: its methods, `HEAD` where `GET`
    /// is, and `OPTIONS` (the preflight).
    pub fn allow(&self) -> String {
        let mut out: Vec<&str> = self.methods.keys().map(String::as_str).collect();
        if self.methods.contains_key("GET") {
            out.push("HEAD");
        }
        out.push("OPTIONS");
        out.join(", ")
    }
}

impl GatewayResponse {
    /// The body, with this request id.
    pub fn body(&self, request_id: Option<&str>) -> ErrorBody {
        let details = self
            .details
            .iter()
            .map(|d| FieldError::new(&d.field, &d.problem))
            .collect();
        ErrorBody::new(&self.code, &self.message, details, request_id)
    }
}

impl GatewayContract {
    /// The method whose `operationId` this is. Panics on an id the contract
    /// lacks: callers name operations the contract's own tests pin down.
    pub fn operation(&self, operation_id: &str) -> &MethodSpec {
        self.routes
            .iter()
            .flat_map(|r| r.methods.values())
            .find(|m| m.operation_id == operation_id)
            .unwrap_or_else(|| panic!("contracts/gateway.json has no operation {operation_id}"))
    }
}

/// The function's own media-type check for `operation_id`, answering as the
/// contract's `UNSUPPORTED_MEDIA_TYPE` gateway response does. On AWS a body
/// whose Content-Type no request model takes is passed to a Lambda proxy
/// integration unvalidated, so the function refuses it itself; the local
/// host refuses it in its gateway, with the same answer.
pub fn media_type_refusal(
    operation_id: &str,
    headers: &HeaderMap,
    body_is_empty: bool,
    request_id: Option<&str>,
) -> Option<lambda_http::Response<lambda_http::Body>> {
    let model = contract().operation(operation_id).request_model.as_ref()?;
    let err = check_media_type(model, headers, body_is_empty).err()?;
    tracing::info!(reason = %err, "media type refused");
    let r = contract().response("UNSUPPORTED_MEDIA_TYPE");
    Some(crate::json_response(
        r.status.unwrap_or(415),
        r.body(request_id).to_json(),
    ))
}

/// The contract, parsed once.
pub fn contract() -> &'static GatewayContract {
    static CONTRACT: OnceLock<GatewayContract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        serde_json::from_str(GATEWAY_CONTRACT_JSON).expect("contracts/gateway.json is valid")
    })
}

/// Why a body's media type is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTypeError {
    #[error("the body has no Content-Type; send it as {0}")]
    Missing(String),
    #[error("Content-Type {given} is not supported; send the body as {want}")]
    Unsupported { given: String, want: String },
}

/// Whether a body with these headers may go to a method whose model takes
/// `model.content_type`. Parameters (`; charset=utf-8`) and case do not
/// matter; an empty body without a Content-Type is no body at all and passes
/// (the function says what is missing).
pub fn check_media_type(
    model: &RequestModel,
    headers: &HeaderMap,
    body_is_empty: bool,
) -> Result<(), MediaTypeError> {
    let want = &model.content_type;
    let Some(given) = headers.get(lambda_http::http::header::CONTENT_TYPE) else {
        return if body_is_empty {
            Ok(())
        } else {
            Err(MediaTypeError::Missing(want.clone()))
        };
    };
    let text = String::from_utf8_lossy(given.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case(want) {
        Ok(())
    } else {
        Err(MediaTypeError::Unsupported {
            given: text.chars().take(100).collect(),
            want: want.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    #[test]
    fn the_contract_parses_and_agrees_with_the_core() {
        let c = contract();
        assert_eq!(c.max_body_bytes, orders_core::MAX_BODY_BYTES);
        assert_eq!(c.response("INVALID_API_KEY").status, Some(403));
        assert_eq!(c.response("DEFAULT_4XX").status, None);
        let codes: serde_json::Value =
            serde_json::from_str(include_str!("../../../contracts/schemas/error.schema.json"))
                .unwrap();
        let codes = &codes["properties"]["error"]["properties"]["code"]["enum"];
        for r in &c.gateway_responses {
            assert!(
                codes.as_array().unwrap().iter().any(|c| c == &r.code),
                "{}",
                r.code
            );
        }
        for d in c.local_differences.values() {
            if let Some(code) = d.get("local").and_then(|l| l.get("code")) {
                assert!(codes.as_array().unwrap().contains(code), "{code}");
            }
        }
    }

    #[test]
    fn routes_match_templates() {
        let c = contract();
        let (r, p) = c.route("/orders").unwrap();
        assert_eq!(r.path, "/orders");
        assert!(p.is_empty());
        assert_eq!(c.route("/orders/").unwrap().0.path, "/orders");
        let (r, p) = c.route("/orders/abc").unwrap();
        assert_eq!(r.path, "/orders/{orderId}");
        assert_eq!(p, [("orderId".to_string(), "abc".to_string())]);
        assert_eq!(
            c.route("/orders/abc/cancel").unwrap().0.path,
            "/orders/{orderId}/cancel"
        );
        for none in ["/orders//cancel", "/orders/abc/x", "/", "/nope", "//orders"] {
            assert!(c.route(none).is_none(), "{none}");
        }
        assert_eq!(
            c.route("/orders").unwrap().0.allow(),
            "GET, POST, HEAD, OPTIONS"
        );
        assert_eq!(
            c.route("/orders/a/cancel").unwrap().0.allow(),
            "POST, OPTIONS"
        );
    }

    #[test]
    fn media_types() {
        let model = RequestModel {
            content_type: "application/json".into(),
            schema: String::new(),
        };
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("content-type", HeaderValue::from_static(v));
            h
        };
        assert!(check_media_type(&model, &with("application/json"), false).is_ok());
        assert!(check_media_type(&model, &with("Application/JSON; charset=utf-8"), false).is_ok());
        assert!(check_media_type(&model, &HeaderMap::new(), true).is_ok());
        assert!(matches!(
            check_media_type(&model, &HeaderMap::new(), false),
            Err(MediaTypeError::Missing(_))
        ));
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            assert!(
                check_media_type(&model, &with(bad), false).is_err(),
                "{bad}"
            );
            assert!(check_media_type(&model, &with(bad), true).is_err(), "{bad}");
        }
    }
}
