//! A check of the REST proxy integration responses the functions post back:
//! what API Gateway would accept, and the error model on 4xx/5xx.

use serde_json::Value;

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
