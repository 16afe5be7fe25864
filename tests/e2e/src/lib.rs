//! Helpers of the end-to-end suite: a local host on an ephemeral port with a
//! temporary database, and the workspace's loopback HTTP/1.1 client
//! (`orders_test_support::loopback`) that speaks to it over real TCP.

pub mod client;
pub mod dlq;
pub mod process;
pub mod saga;

use http::{HeaderMap, Method, StatusCode};
use orders_local::pipeline::PipelineConfig;
use orders_local::{Config, Server};
use orders_test_support::loopback;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use tempfile::TempDir;

/// A running host and the directory of its database.
pub struct Host {
    pub server: Server,
    pub dir: TempDir,
}

pub const ORIGIN: &str = "http://localhost:3000";

impl Host {
    /// A fresh host on a new temporary database, serving the API only (no
    /// pipeline: orders stay as the test put them).
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// A fresh host with the asynchronous pipeline running.
    pub async fn start_with_pipeline(pipeline: PipelineConfig) -> Self {
        Self::start_with(Some(pipeline)).await
    }

    async fn start_with(pipeline: Option<PipelineConfig>) -> Self {
        Self::start_configured(|c| c.pipeline = pipeline).await
    }

    /// A fresh host (API only) on a new temporary database, its
    /// configuration changed by `f` (timeouts, origins).
    pub async fn start_configured(f: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(&dir);
        config.pipeline = None;
        f(&mut config);
        let server = Server::start(&config, 0).await.unwrap();
        Self { server, dir }
    }

    pub fn db(&self) -> PathBuf {
        db(&self.dir)
    }

    /// Stops the host and starts a new one on the same database (API only).
    pub async fn restart(self) -> Self {
        self.restart_with(None).await
    }

    /// Stops the host and starts a new one on the same database.
    pub async fn restart_with(self, pipeline: Option<PipelineConfig>) -> Self {
        self.restart_around(pipeline, |_| async {}).await
    }

    /// Stops the host, runs `between` on its database (what is done with
    /// the host down), and starts a new one on it.
    pub async fn restart_around<F>(
        self,
        pipeline: Option<PipelineConfig>,
        between: impl FnOnce(PathBuf) -> F,
    ) -> Self
    where
        F: std::future::Future<Output = ()>,
    {
        let Host { server, dir } = self;
        server.stop().await.unwrap();
        between(db(&dir)).await;
        let mut config = config(&dir);
        config.pipeline = pipeline;
        let server = Server::start(&config, 0).await.unwrap();
        Self { server, dir }
    }

    pub fn key(&self) -> &str {
        self.server.api_key()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A request with the right API key.
    pub async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Answer {
        let mut h = vec![("x-api-key", self.key().to_string())];
        if body.is_some() {
            h.push(("content-type", "application/json".into()));
        }
        send(
            self.addr(),
            method,
            path,
            &h,
            body.map(|b| b.as_bytes().to_vec()),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, body: &str) -> Answer {
        self.call(Method::POST, "/orders", Some(body)).await
    }
}

pub fn db(dir: &TempDir) -> PathBuf {
    dir.path().join("data").join("orders.db")
}

fn config(dir: &TempDir) -> Config {
    Config::new(db(dir))
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error code of an error-model body.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The `field`s of the error details.
    pub fn fields(&self) -> Vec<String> {
        self.json()["error"]["details"]
            .as_array()
            .map(|d| {
                d.iter()
                    .map(|x| x["field"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One HTTP/1.1 request on its own connection.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Answer {
    try_send(addr, method, path, headers, body)
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// [`send`], for a server that may be gone (crash tests).
pub async fn try_send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Result<Answer, BoxError> {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = loopback::send(addr, method, path, &headers, body.unwrap_or_default()).await?;
    Ok(Answer {
        status: resp.status,
        headers: resp.headers,
        body: resp.body.to_vec(),
    })
}

/// What came back over a raw connection: the status, the head (lower-cased
/// header names) and the body, read until the host closed the connection.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

/// Writes `bytes` as they are on a new connection (then, with
/// `half_close`, ends the sending side) and reads the one answer until the
/// host closes the connection (at most 10 s).
pub async fn raw_exchange(addr: SocketAddr, bytes: &[u8], half_close: bool) -> RawAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    if half_close {
        stream.shutdown().await.unwrap();
    }
    let mut out = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut out),
    )
    .await
    .expect("the host closes the connection after its answer")
    .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head:?}"));
    RawAnswer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// The `orders-local` binary of this build (next to the test binaries'
/// `deps/` directory; scripts/test-all.sh builds every binary first).
pub fn local_host_binary() -> PathBuf {
    workspace_binary("orders-local")
}

/// A binary of this workspace, built into the same target directory as the
/// tests (`cargo build --workspace --bins`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build it first (cargo build --workspace --bins)",
        bin.display()
    );
    bin
}

/// A valid create body.
pub use orders_test_support::orders::order_body;
