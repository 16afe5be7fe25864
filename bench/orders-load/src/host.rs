//! The host under load: one at `--url` (loopback only), or
//! `orders-local` spawned on a fresh database in a temporary directory,
//! killed when this is dropped.

use crate::http::{BoxError, Conn};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub struct Host {
    pub addr: SocketAddr,
    pub key: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

/// `http://127.0.0.1:3000` → its address, refused unless every address it
/// names is loopback.
pub fn loopback_addr(url: &str) -> Result<SocketAddr, BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("--url must be http://host:port")?;
    let authority = rest.split('/').next().unwrap_or_default();
    let addrs: Vec<SocketAddr> = authority.to_socket_addrs()?.collect();
    match addrs.iter().find(|a| !a.ip().is_loopback()) {
        Some(a) => Err(format!("--url {url} is not loopback ({a}): refused").into()),
        None => addrs.first().copied().ok_or_else(|| "no address".into()),
    }
}

/// The orders-local binary next to this one (target/<profile>/), else in
/// target/local or target/debug of the workspace.
pub fn local_binary() -> Result<PathBuf, BoxError> {
    let here = std::env::current_exe()?;
    let dir = here.parent().ok_or("no exe dir")?;
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        dir.join("orders-local"),
        workspace.join("target/local/orders-local"),
        workspace.join("target/debug/orders-local"),
    ];
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        "orders-local is not built (cargo build --profile local -p orders-local)".into()
    })
}

impl Host {
    pub async fn at(url: &str, key: &str) -> Result<Self, BoxError> {
        Ok(Self {
            addr: loopback_addr(url)?,
            key: key.to_string(),
            child: None,
            _dir: None,
        })
    }

    /// Spawns `binary` on 127.0.0.1 with a fresh database, seeded with `stock`.
    pub async fn spawn(
        binary: &std::path::Path,
        stock: &BTreeMap<String, u64>,
        saga_concurrency: usize,
    ) -> Result<Self, BoxError> {
        let dir = tempfile::tempdir()?;
        let stock_path = dir.path().join("stock.json");
        std::fs::write(&stock_path, orders_load::mix::stock_file(stock))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let key = format!("load-{}", std::process::id());
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--api-key", &key])
            .arg("--db")
            .arg(dir.path().join("orders.db"))
            .arg("--stock")
            .arg(&stock_path)
            .args(["--retry-wait-scale", "0.01", "--visibility-timeout", "10"])
            .args(["--saga-concurrency", &saga_concurrency.to_string()])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let host = Self {
            addr: SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port),
            key,
            child: Some(child),
            _dir: Some(dir),
        };
        host.wait_healthy(Duration::from_secs(30)).await?;
        Ok(host)
    }

    async fn wait_healthy(&self, bound: Duration) -> Result<(), BoxError> {
        let start = Instant::now();
        loop {
            let mut c = Conn::new(self.addr, &self.key);
            if c.get_json("/health").await.is_ok() {
                return Ok(());
            }
            if start.elapsed() > bound {
                return Err("the host did not come up".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}
