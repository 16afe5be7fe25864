//! The local host (`orders-local`) as a child process: its command line,
//! waiting for `/health`, and a graceful stop.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use http::Method;

use crate::loopback::{self, BoxError};

/// How long a host may take to exit after SIGTERM.
pub const GRACEFUL_STOP: Duration = Duration::from_secs(10);

/// `<bin> --port <port> --db <db> --api-key <key>`, stdin closed; callers
/// add flags, environment and output (and make it a `tokio::process`
/// command with `From` where they need one).
pub fn command(bin: &Path, port: u16, db: &Path, api_key: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--db")
        .arg(db)
        .arg("--api-key")
        .arg(api_key)
        .stdin(Stdio::null());
    cmd
}

/// Polls `GET /health` (with `api_key`, 2 s per try) every `every` until
/// it is 200, `exited` reports the process gone, or `deadline` has passed.
pub async fn wait_healthy(
    addr: SocketAddr,
    api_key: &str,
    every: Duration,
    deadline: Duration,
    mut exited: impl FnMut() -> io::Result<Option<ExitStatus>>,
) -> Result<(), BoxError> {
    let started = Instant::now();
    let key = [("x-api-key", api_key)];
    loop {
        if let Some(status) = exited()? {
            return Err(format!("local host exited before /health answered: {status}").into());
        }
        let health = loopback::send(addr, Method::GET, "/health", &key, vec![]);
        if let Ok(Ok(r)) = tokio::time::timeout(Duration::from_secs(2), health).await {
            if r.status == 200 {
                return Ok(());
            }
        }
        if started.elapsed() > deadline {
            return Err(format!("local host: /health not 200 within {deadline:?}").into());
        }
        tokio::time::sleep(every).await;
    }
}

/// SIGTERM (graceful), then SIGKILL after [`GRACEFUL_STOP`].
pub async fn terminate(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let _ = tokio::process::Command::new("kill")
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
            "k-1",
        );
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            ["--port", "4242", "--db", "/w/orders.db", "--api-key", "k-1"]
        );
        assert_eq!(cmd.get_program(), "/b/orders-local");
    }

    #[tokio::test]
    async fn a_host_that_exits_is_not_waited_for() {
        let mut child = tokio::process::Command::new("true").spawn().unwrap();
        let addr = loopback::free_loopback_addr().unwrap();
        let every = Duration::from_millis(50);
        let err = wait_healthy(addr, "k", every, Duration::from_secs(60), || {
            child.try_wait()
        })
        .await
        .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("local host exited before /health answered"));
    }

    #[tokio::test]
    async fn terminate_stops_a_process_on_sigterm() {
        let mut child = tokio::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let started = Instant::now();
        terminate(&mut child).await;
        assert!(child.try_wait().unwrap().is_some());
        assert!(started.elapsed() < GRACEFUL_STOP);
    }
}
