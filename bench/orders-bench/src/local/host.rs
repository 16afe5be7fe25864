//! The local host process (`orders-local`) as the benchmarks run it: on a
//! loopback port and a database file of their own, with the bench API key;
//! up when `/health` answers, stopped gracefully.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::api;
use crate::events::API_KEY;
use crate::Result;

/// How long a host may take to answer `/health`.
const HEALTH_DEADLINE: Duration = Duration::from_secs(60);
/// How long a host may take to exit after SIGTERM.
const GRACEFUL_STOP: Duration = Duration::from_secs(10);

/// `<bin> --port <port> --db <db> --api-key <bench key>`, stdin closed,
/// killed if dropped; callers add flags, environment and output.
pub fn command(bin: &Path, port: u16, db: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--db")
        .arg(db)
        .arg("--api-key")
        .arg(API_KEY)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Spawns `cmd`, naming `bin` in the error.
pub fn spawn(cmd: &mut Command, bin: &Path) -> Result<Child> {
    Ok(cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?)
}

/// Polls `GET /health` every 100 ms until it is 200, the host exits or a
/// minute has passed.
pub async fn wait_healthy(addr: SocketAddr, host: &mut Child) -> Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = host.try_wait()? {
            return Err(format!("local host exited before /health answered: {status}").into());
        }
        if let Ok(r) = api::get(addr, "/health", Duration::from_secs(2)).await {
            if r.status == 200 {
                return Ok(());
            }
        }
        if started.elapsed() > HEALTH_DEADLINE {
            return Err("local host: /health not 200 within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SIGTERM (graceful), then SIGKILL after 10 s.
pub async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await;
        if tokio::time::timeout(GRACEFUL_STOP, child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_command_line() {
        let cmd = command(
            Path::new("/b/orders-local"),
            4242,
            Path::new("/w/orders.db"),
        );
        let args: Vec<_> = cmd
            .as_std()
            .get_args()
            .map(|a| a.to_str().unwrap())
            .collect();
        assert_eq!(
            args,
            [
                "--port",
                "4242",
                "--db",
                "/w/orders.db",
                "--api-key",
                API_KEY
            ]
        );
        assert_eq!(cmd.as_std().get_program(), "/b/orders-local");
    }

    #[tokio::test]
    async fn a_host_that_exits_is_not_waited_for() {
        let mut child = Command::new("true").spawn().unwrap();
        let addr = crate::http_client::free_loopback_addr().unwrap();
        let err = wait_healthy(addr, &mut child).await.unwrap_err();
        assert!(err
            .to_string()
            .starts_with("local host exited before /health answered"));
    }

    #[tokio::test]
    async fn terminate_stops_a_process_on_sigterm() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let started = Instant::now();
        terminate(&mut child).await;
        assert!(child.try_wait().unwrap().is_some());
        assert!(started.elapsed() < GRACEFUL_STOP);
    }
}
