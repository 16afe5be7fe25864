//! The host's API as the load tool calls it: one kept-alive loopback
//! connection per worker (`orders_test_support::loopback::Conn`, reopened when
//! the host closes it), every request with the API key.

use http::{Method, StatusCode};
use orders_test_support::loopback;
use serde_json::Value;
use std::net::SocketAddr;

pub use orders_test_support::loopback::BoxError;

/// A host's answer: status, `Retry-After` (if any) and body.
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One connection to the host at `addr`, sending `x-api-key: key`.
pub struct Conn {
    key: String,
    conn: loopback::Conn,
}

impl Conn {
    pub fn new(addr: SocketAddr, key: &str) -> Self {
        Self {
            key: key.to_string(),
            conn: loopback::Conn::new(addr),
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Answer, BoxError> {
        let mut all = vec![("x-api-key", self.key.as_str())];
        if body.is_some() {
            all.push(("content-type", "application/json"));
        }
        all.extend_from_slice(headers);
        let body = body.unwrap_or_default().as_bytes().to_vec();
        let resp = self.conn.send(method, path, &all, body).await?;
        let retry_after = resp
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Answer {
            status: resp.status,
            retry_after,
            body: resp.body.to_vec(),
        })
    }

    /// A GET that must answer 200 with JSON.
    pub async fn get_json(&mut self, path: &str) -> Result<Value, BoxError> {
        let a = self.send(Method::GET, path, &[], None).await?;
        if a.status != StatusCode::OK {
            return Err(format!("GET {path}: {}", a.status).into());
        }
        Ok(a.json())
    }
}
