//! The local host process (`orders-local`) as the benchmarks run it: on a
//! loopback port and a database file of their own, with the bench API key;
//! up when `/health` answers, stopped gracefully (the tests' spawner,
//! `orders_test_support::host`).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::events::API_KEY;
use crate::Result;

pub use orders_test_support::host::terminate;

/// How long a host may take to answer `/health`.
const HEALTH_DEADLINE: Duration = Duration::from_secs(60);
/// How often `/health` is asked.
const HEALTH_POLL: Duration = Duration::from_millis(100);

/// `<bin> --port <port> --db <db> --api-key <bench key>`, stdin closed,
/// killed if dropped; callers add flags, environment and output.
pub fn command(bin: &Path, port: u16, db: &Path) -> Command {
    let mut cmd = Command::from(orders_test_support::host::command(bin, port, db, API_KEY));
    cmd.kill_on_drop(true);
    cmd
}

/// Spawns `cmd`, naming `bin` in the error.
pub fn spawn(cmd: &mut Command, bin: &Path) -> Result<Child> {
    Ok(cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?)
}

/// Polls `GET /health` every 100 ms until it is 200, the host exits or a
/// minute has passed.
pub async fn wait_healthy(addr: SocketAddr, host: &mut Child) -> Result<()> {
    orders_test_support::host::wait_healthy(addr, API_KEY, HEALTH_POLL, HEALTH_DEADLINE, || {
        host.try_wait()
    })
    .await
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
}
