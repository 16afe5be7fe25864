//! One function process, started the way Lambda starts a custom runtime
//! (`provided.al2023`): Lambda's environment, a Runtime API to poll, and the
//! end of init at its first `GET /runtime/invocation/next`.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use orders_core::contract::env;
use serde_json::Value;

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use super::TABLE_NAME;
use crate::emulator::{Emulator, InitSignal, Outcome};
use crate::http_client;
use crate::Result;

pub struct Runner {
    /// Absolute path of the function binary (or of the interpreter a peer
    /// runs under).
    pub binary: PathBuf,
    /// Its arguments (a peer's bootstrap script; none for ours).
    pub args: Vec<OsString>,
    pub name: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
    pub memory_mb: u32,
    /// A cgroup's `cgroup.procs`, opened: the child joins that cgroup
    /// before it execs (a CPU quota).
    pub cgroup_procs: Option<Arc<File>>,
    /// DynamoDB endpoint (`AWS_ENDPOINT_URL_DYNAMODB`).
    pub endpoint: String,
    pub extra_env: Vec<(String, String)>,
    /// Where the function's stdout and stderr are appended.
    pub log_path: PathBuf,
    pub init_timeout: Duration,
}

impl Runner {
    /// Starts an emulator and the function; returns exec-to-first-`next` in
    /// ms with the running process and its emulator.
    pub async fn cold_start(&self) -> Result<(f64, Child, Emulator)> {
        let (emu, init_rx) = Emulator::start(&self.name).await?;
        let (started, mut child) = self.spawn(&emu)?;
        match wait_init(&mut child, init_rx, self.init_timeout).await {
            Ok(ready) => Ok((
                ready.duration_since(started).as_secs_f64() * 1e3,
                child,
                emu,
            )),
            Err(e) => {
                stop(&mut child).await;
                Err(format!("{e} (log: {})", self.log_path.display()).into())
            }
        }
    }

    /// A cold start with `event` queued before the spawn, as Lambda has the
    /// event waiting when an on-demand init ends: spawn to first `GET
    /// /next`, and spawn to the first response.
    pub async fn cold_invoke(&self, event: Value, timeout: Duration) -> Result<ColdInvoke> {
        let (emu, init_rx) = Emulator::start(&self.name).await?;
        let pending = emu.submit(event).await?;
        let (started, mut child) = self.spawn(&emu)?;
        let ready = match wait_init(&mut child, init_rx, self.init_timeout).await {
            Ok(ready) => ready,
            Err(e) => {
                stop(&mut child).await;
                return Err(format!("{e} (log: {})", self.log_path.display()).into());
            }
        };
        match pending.wait(timeout).await {
            Ok((outcome, at)) => Ok(ColdInvoke {
                init_ms: ms_between(started, ready),
                first_response_ms: ms_between(started, at),
                first: outcome,
                child,
                emu,
            }),
            Err(e) => {
                stop(&mut child).await;
                Err(format!("{e} (log: {})", self.log_path.display()).into())
            }
        }
    }

    /// Spawns the function against `emu`, its output appended to the log;
    /// returns the instant just before the spawn and the process.
    fn spawn(&self, emu: &Emulator) -> Result<(Instant, Child)> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let mut cmd = self.command(emu.addr, log)?;
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
        Ok((started, child))
    }

    /// The environment Lambda gives a `provided.al2023` function (as the CDK
    /// stack configures it), pointed at loopback only.
    fn command(&self, runtime_api: SocketAddr, log: File) -> Result<Command> {
        let task_root = self
            .binary
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut cmd = Command::new(&self.binary);
        cmd.args(&self.args)
            .env_clear()
            .current_dir(&task_root)
            .env("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin")
            .env("LANG", "en_US.UTF-8")
            .env("TZ", ":UTC")
            .env("LAMBDA_TASK_ROOT", &task_root)
            .env("LAMBDA_RUNTIME_DIR", "/var/runtime")
            .env("_HANDLER", "bootstrap")
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", self.name),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef",
            )
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "ASIABENCHBENCHBENCH0")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "bench/secret/key/not/real/0000000000000",
            )
            .env("AWS_SESSION_TOKEN", "bench-session-token-not-real")
            .env("AWS_ENDPOINT_URL_DYNAMODB", &self.endpoint)
            .env(env::ORDERS_TABLE_NAME, TABLE_NAME)
            .env(env::STAGE, "bench")
            .env("RUST_LOG", "info");
        for (k, v) in &self.extra_env {
            if k.starts_with("AWS_ENDPOINT_URL") {
                http_client::loopback_addr(v)?;
            }
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        if let Some(procs) = &self.cgroup_procs {
            crate::cgroup::join_before_exec(&mut cmd, procs.clone());
        }
        Ok(cmd)
    }
}

/// What [`Runner::cold_invoke`] measured, with the live process.
pub struct ColdInvoke {
    pub init_ms: f64,
    pub first_response_ms: f64,
    pub first: Outcome,
    pub child: Child,
    pub emu: Emulator,
}

fn ms_between(from: Instant, to: Instant) -> f64 {
    to.saturating_duration_since(from).as_secs_f64() * 1e3
}

/// The instant init ended, or why it did not.
async fn wait_init(
    child: &mut Child,
    init_rx: oneshot::Receiver<InitSignal>,
    timeout: Duration,
) -> Result<Instant> {
    tokio::select! {
        signal = init_rx => match signal {
            Ok(InitSignal::Ready(at)) => Ok(at),
            Ok(InitSignal::Failed(body)) => Err(format!("init error: {body}").into()),
            Err(_) => Err("emulator stopped".into()),
        },
        status = child.wait() => Err(format!("exited during init: {}", status?).into()),
        _ = tokio::time::sleep(timeout) => Err(format!("no GET /next within {timeout:?}").into()),
    }
}

/// SIGKILL, then up to 5 s for the exit.
pub async fn stop(child: &mut Child) {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(extra_env: Vec<(String, String)>) -> Runner {
        Runner {
            binary: PathBuf::from("/opt/fn/create-order"),
            args: Vec::new(),
            name: "create-order".into(),
            memory_mb: 256,
            cgroup_procs: None,
            endpoint: "http://127.0.0.1:9".into(),
            extra_env,
            log_path: PathBuf::from("/dev/null"),
            init_timeout: Duration::from_secs(1),
        }
    }

    fn env_of(cmd: &Command, key: &str) -> Option<String> {
        cmd.as_std()
            .get_envs()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    }

    #[test]
    fn lambda_environment_points_at_loopback() {
        let r = runner(vec![("EXTRA".into(), "1".into())]);
        let log = null_log();
        let cmd = r.command("127.0.0.1:4000".parse().unwrap(), log).unwrap();
        assert_eq!(
            env_of(&cmd, "AWS_LAMBDA_RUNTIME_API").as_deref(),
            Some("127.0.0.1:4000")
        );
        assert_eq!(env_of(&cmd, "LAMBDA_TASK_ROOT").as_deref(), Some("/opt/fn"));
        assert_eq!(
            env_of(&cmd, "AWS_ENDPOINT_URL_DYNAMODB").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            env_of(&cmd, env::ORDERS_TABLE_NAME).as_deref(),
            Some(TABLE_NAME)
        );
        assert_eq!(env_of(&cmd, "EXTRA").as_deref(), Some("1"));
        assert_eq!(env_of(&cmd, "HOME"), None, "environment is cleared");
    }

    #[test]
    fn refuses_a_remote_endpoint_override() {
        let r = runner(vec![(
            "AWS_ENDPOINT_URL_SQS".into(),
            "http://10.0.0.1:4566".into(),
        )]);
        assert!(r
            .command("127.0.0.1:4000".parse().unwrap(), null_log())
            .is_err());
    }

    #[tokio::test]
    async fn a_process_that_never_polls_times_out() {
        let mut child = Command::new("sleep")
            .arg("30")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let (_tx, rx) = oneshot::channel();
        let err = wait_init(&mut child, rx, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "no GET /next within 50ms");
        stop(&mut child).await;
        assert!(child.try_wait().unwrap().is_some());
    }

    fn null_log() -> File {
        OpenOptions::new().write(true).open("/dev/null").unwrap()
    }
}
