//! `orders-local` as a separate process, to be killed with SIGKILL, and the
//! load that runs against it meanwhile: what the kill -9 runs share.

use crate::client::Client;
use crate::local_host_binary;
use crate::saga::mixed_order;
use orders_test_support::host;
use orders_test_support::loopback::free_loopback_addr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const API_KEY: &str = "crash-test-key";

/// A running `orders-local` process and a client of it.
pub struct Child {
    pub proc: std::process::Child,
    pub client: Client,
}

impl Child {
    /// SIGKILL, and wait for the process to be gone.
    pub fn kill_9(&mut self) {
        self.proc.kill().unwrap();
        self.proc.wait().unwrap();
    }
}

/// A failing test must not leave a host running.
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.proc.kill();
        let _ = self.proc.wait();
    }
}

/// Starts the host on `dir/orders.db` (its log in `dir/host-<run>.log`),
/// with `extra` arguments after the common ones, and waits for it to listen.
pub async fn spawn_host(dir: &Path, run: usize, extra: &[&str]) -> Child {
    let addr = free_loopback_addr().unwrap();
    let log = std::fs::File::create(dir.join(format!("host-{run}.log"))).unwrap();
    let mut proc = host::command(
        &local_host_binary(),
        addr.port(),
        &dir.join("orders.db"),
        API_KEY,
    )
    .args(["--visibility-timeout", "2"])
    .args(["--retry-wait-scale", "0.05"])
    .args(extra)
    .env("RUST_LOG", "warn")
    .stdout(std::process::Stdio::null())
    .stderr(log)
    .spawn()
    .unwrap();
    let every = Duration::from_millis(50);
    let listening = host::wait_healthy(addr, API_KEY, every, Duration::from_secs(20), || {
        proc.try_wait()
    })
    .await;
    let client = Client {
        addr,
        key: API_KEY.into(),
    };
    // Dropped on a failure, so the host does not outlive the test.
    let child = Child { proc, client };
    listening.unwrap_or_else(|e| panic!("the host to listen: {e}"));
    child
}

/// Creates orders of every payment path from 8 clients until told to stop,
/// collecting the ids that got a 201.
pub fn load(
    client: Client,
    stop: Arc<AtomicBool>,
    accepted: Arc<Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..8)
        .map(|w| {
            let (c, stop, accepted) = (client.clone(), stop.clone(), accepted.clone());
            tokio::spawn(async move {
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(id) = c.create_body(&mixed_order(i)).await {
                        accepted.lock().unwrap().push(id);
                    }
                    i += 8;
                }
            })
        })
        .collect()
}

/// Runs the host `runs` times on `dir`, each time under load, killing it
/// with SIGKILL `800 + 300 × run` ms after it listens; the ids that got 201.
pub async fn load_and_kill(dir: &Path, runs: usize, extra: &[&str]) -> Vec<String> {
    let accepted = Arc::new(Mutex::new(Vec::new()));
    for run in 0..runs {
        let mut child = spawn_host(dir, run, extra).await;
        let stop = Arc::new(AtomicBool::new(false));
        let workers = load(child.client.clone(), stop.clone(), accepted.clone());
        tokio::time::sleep(Duration::from_millis(800 + 300 * run as u64)).await;
        child.kill_9();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
    }
    let ids = accepted.lock().unwrap().clone();
    ids
}
