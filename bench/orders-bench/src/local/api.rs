//! The requests the benchmarks make to the local host's API, always with the
//! bench API key: health, creating an order, reading JSON, counting orders.

use std::net::SocketAddr;
use std::time::Duration;

use http::Method;
use serde_json::Value;

use crate::events::{API_KEY, CREATE_BODY};
use crate::http_client::{self, Response};
use crate::Result;

/// Timeout of reads that may page through many orders.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound on the pages `count_orders` follows.
const MAX_PAGES: usize = 100_000;

/// `GET path` with the API key.
pub async fn get(addr: SocketAddr, path: &str, timeout: Duration) -> Result<Response> {
    http_client::send(
        addr,
        Method::GET,
        path,
        &[("x-api-key", API_KEY)],
        Vec::new(),
        timeout,
    )
    .await
}

/// `POST /orders` with the bench's valid order.
pub async fn post_order(addr: SocketAddr, timeout: Duration) -> Result<Response> {
    http_client::send(
        addr,
        Method::POST,
        "/orders",
        &[("x-api-key", API_KEY), ("content-type", "application/json")],
        CREATE_BODY.as_bytes().to_vec(),
        timeout,
    )
    .await
}

/// `GET path`, which must be 200 with a JSON body.
pub async fn get_json(addr: SocketAddr, path: &str) -> Result<Value> {
    let r = get(addr, path, READ_TIMEOUT).await?;
    if r.status != 200 {
        return Err(format!("GET {path}: {}", r.status).into());
    }
    Ok(serde_json::from_slice(&r.body)?)
}

/// `what: <status> <body>` for a response that should have been different.
pub fn unexpected(what: &str, r: &Response) -> String {
    format!("{what}: {} {}", r.status, String::from_utf8_lossy(&r.body))
}

/// Pages through `GET /orders?limit=100[&status=]` and counts.
pub async fn count_orders(addr: SocketAddr, status: Option<&str>) -> Result<u64> {
    let mut total = 0u64;
    let mut token: Option<String> = None;
    let base = match status {
        Some(s) => format!("/orders?limit=100&status={s}"),
        None => "/orders?limit=100".to_string(),
    };
    for _ in 0..MAX_PAGES {
        let path = match &token {
            Some(t) => format!("{base}&nextToken={}", percent_encode(t)),
            None => base.clone(),
        };
        let r = get(addr, &path, READ_TIMEOUT).await?;
        if r.status != 200 {
            return Err(unexpected(&format!("GET {path}"), &r).into());
        }
        let page: Value = serde_json::from_slice(&r.body)?;
        let n = page
            .get("orders")
            .and_then(Value::as_array)
            .map(Vec::len)
            .ok_or("GET /orders: no orders array")?;
        total += n as u64;
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) if n > 0 => token = Some(t.to_string()),
            _ => return Ok(total),
        }
    }
    Err("GET /orders: more than 100,000 pages".into())
}

/// RFC 3986 unreserved characters stay, every other byte is `%XX`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_tokens() {
        assert_eq!(percent_encode("ab-_.~"), "ab-_.~");
        assert_eq!(percent_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }

    #[test]
    fn unexpected_quotes_status_and_body() {
        let r = Response {
            status: 503,
            headers: Default::default(),
            body: "busy".into(),
        };
        assert_eq!(
            unexpected("smoke POST /orders", &r),
            "smoke POST /orders: 503 busy"
        );
    }
}

#[cfg(test)]
mod paging_tests {
    use std::collections::HashMap;

    use axum::extract::Query;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::get as route_get;
    use axum::{Json, Router};
    use serde_json::json;

    use super::*;

    /// Three pages of 100, 100 and 5 orders; tokens contain `+` and `/`, so
    /// they only round-trip when percent-encoded.
    async fn orders(
        headers: HeaderMap,
        Query(q): Query<HashMap<String, String>>,
    ) -> std::result::Result<Json<Value>, StatusCode> {
        if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some(API_KEY) {
            return Err(StatusCode::FORBIDDEN);
        }
        let (n, next) = match q.get("nextToken").map(String::as_str) {
            None => (100, Some("p+2/")),
            Some("p+2/") => (100, Some("p+3/")),
            Some("p+3/") => (5, None),
            Some(_) => return Err(StatusCode::BAD_REQUEST),
        };
        let status = q.get("status").cloned().unwrap_or_default();
        let page: Vec<Value> = (0..n).map(|_| json!({"status": status})).collect();
        Ok(Json(json!({"orders": page, "nextToken": next})))
    }

    #[tokio::test]
    async fn counts_every_page() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/orders", route_get(orders));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        assert_eq!(count_orders(addr, None).await.unwrap(), 205);
        assert_eq!(count_orders(addr, Some("PROCESSING")).await.unwrap(), 205);
        let err = get_json(addr, "/nope").await.unwrap_err();
        assert_eq!(err.to_string(), "GET /nope: 404");
        server.abort();
    }
}
