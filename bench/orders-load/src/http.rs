//! A small HTTP/1.1 client for a host on loopback: one kept-alive
//! connection per worker, reopened when the host closes it.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
    addr: SocketAddr,
    key: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(addr: SocketAddr, key: &str) -> Self {
        Self {
            addr,
            key: key.to_string(),
            sender: None,
        }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, BoxError> {
        if !self.sender.as_ref().is_some_and(|s| s.is_ready()) {
            let stream = tokio::net::TcpStream::connect(self.addr).await?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("just set"))
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Answer, BoxError> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("x-api-key", &self.key);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default().to_string())))?;
        let sender = self.sender().await?;
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                self.sender = None;
                return Err(e.into());
            }
        };
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let body = resp.into_body().collect().await?.to_bytes().to_vec();
        Ok(Answer {
            status,
            retry_after,
            body,
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
