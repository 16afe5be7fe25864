//! A client of a running host (in-process or a child process): the API and
//! the local inspection resources, read whole.

use crate::{order_body, try_send, Answer, Host};
use http::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Polls `check` every 50 ms until it returns true or `timeout` passes.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A client of a host at `addr` with `key`.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub key: String,
}

impl Client {
    pub fn of(host: &Host) -> Self {
        Self {
            addr: host.addr(),
            key: host.key().to_string(),
        }
    }

    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
        let mut headers = vec![("x-api-key", self.key.clone())];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_string()));
        }
        try_send(
            self.addr,
            method,
            path,
            &headers,
            body.map(|b| b.as_bytes().to_vec()),
        )
        .await
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Answer {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Every order (all pages), as `orderId → status`.
    pub async fn statuses(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let mut path = "/orders?limit=100".to_string();
        loop {
            let page = self.call(Method::GET, &path, None).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text());
            let page = page.json();
            for o in page["orders"].as_array().unwrap() {
                out.insert(
                    o["orderId"].as_str().unwrap().to_string(),
                    o["status"].as_str().unwrap().to_string(),
                );
            }
            match page["nextToken"].as_str() {
                Some(t) => path = format!("/orders?limit=100&nextToken={t}"),
                None => return out,
            }
        }
    }

    /// Every notification sent, as `(orderId, status)` → how many times.
    pub async fn notifications(&self) -> BTreeMap<(String, String), usize> {
        let a = self
            .call(Method::GET, "/local/notifications?limit=10000", None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let mut out = BTreeMap::new();
        for n in a.json()["notifications"].as_array().unwrap() {
            let key = (
                n["orderId"].as_str().unwrap().to_string(),
                n["status"].as_str().unwrap().to_string(),
            );
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }

    pub async fn queues(&self) -> Value {
        let a = self.call(Method::GET, "/local/queues", None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        a.json()
    }

    pub async fn create(&self, i: usize) -> Option<String> {
        self.create_body(&order_body(&format!("c-{i}"), 1 + (i % 3) as u32, "9.99"))
            .await
    }

    /// Posts `body`; the new order's id on a 201.
    pub async fn create_body(&self, body: &str) -> Option<String> {
        let a = self
            .try_call(Method::POST, "/orders", Some(body))
            .await
            .ok()?;
        (a.status == StatusCode::CREATED).then(|| a.json()["orderId"].as_str().unwrap().to_string())
    }

    /// A whole local inspection resource (`/local/...`), 200 or the test fails.
    pub async fn local(&self, path: &str) -> Value {
        let a = self.call(Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text());
        a.json()
    }

    /// Every order (all pages), whole.
    pub async fn orders(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut path = "/orders?limit=100".to_string();
        loop {
            let page = self.call(Method::GET, &path, None).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text());
            let page = page.json();
            out.extend(page["orders"].as_array().unwrap().iter().cloned());
            match page["nextToken"].as_str() {
                Some(t) => path = format!("/orders?limit=100&nextToken={t}"),
                None => return out,
            }
        }
    }
}
