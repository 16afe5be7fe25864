//! The host under load: one at `--url` (loopback only), or
//! `orders-local` spawned on a fresh database in a temporary directory,
//! killed when this is dropped.

use crate::http::BoxError;
use orders_test_support::host;
use orders_test_support::loopback::{free_loopback_addr, loopback_addr};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub struct Host {
    pub addr: SocketAddr,
    pub key: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
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
        let addr = free_loopback_addr()?;
        let key = format!("load-{}", std::process::id());
        let db = dir.path().join("orders.db");
        let mut child = Command::from(host::command(binary, addr.port(), &db, &key))
            .arg("--stock")
            .arg(&stock_path)
            .args(["--retry-wait-scale", "0.01", "--visibility-timeout", "10"])
            .args(["--saga-concurrency", &saga_concurrency.to_string()])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let every = Duration::from_millis(50);
        host::wait_healthy(addr, &key, every, Duration::from_secs(30), || {
            child.try_wait()
        })
        .await?;
        Ok(Self {
            addr,
            key,
            child: Some(child),
            _dir: Some(dir),
        })
    }

    pub async fn stop(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}
