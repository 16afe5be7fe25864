//! `orders-bench`: the measuring half of `scripts/bench.sh`.
//!
//! * `lambda`: for each function binary, starts a Lambda Runtime API emulator
//!   on loopback, measures init time (exec to the first
//!   `GET /runtime/invocation/next`) over N cold starts, then serves real API
//!   Gateway REST proxy events, checks the proxy responses and reads peak RSS.
//! * `local`: drives `POST /orders` against the local host with `wrk` and
//!   checks the stored order count afterwards.
//! * `drain`: how fast the local host's pipeline takes a backlog of
//!   accepted orders to PROCESSING and notified.
//! * `peers`: every function, the Node 22 and Python peers of
//!   create-order and a bare `lambda_runtime` floor, cold-started in
//!   interleaved rounds (also under a 128/256 MB Lambda CPU share).
//! * `tls-proxy`: a TLS endpoint on loopback in front of DynamoDB Local,
//!   for the `peers` step's TLS mode.
//! * `report`: prints the figures against their targets and rewrites the
//!   generated section of docs/benchmarks.md.
//!
//! Every address it talks to is on loopback; it refuses anything else.

mod cgroup;
mod drain;
mod emulator;
mod events;
mod http_client;
mod lambda;
mod local;
mod peers;
mod procfs;
mod proxy_response;
mod report;
#[cfg(test)]
mod scratch;
mod stats;
mod tls_proxy;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "orders-bench",
    about = "Benchmarks for the Orders functions and local host"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Cold starts, invocations and peak RSS of function binaries.
    Lambda(lambda::Args),
    /// Throughput of the local host under `wrk`.
    Local(local::Args),
    /// Drain rate of the local host's pipeline.
    Drain(drain::Args),
    /// Cold starts of every function side by side with the Node 22 and
    /// Python peers and the floor, interleaved, with CPU-share runs.
    Peers(Box<peers::Args>),
    /// A TLS endpoint on loopback in front of a plain one (the peers
    /// step's TLS mode).
    TlsProxy(tls_proxy::Args),
    /// Print the summary and regenerate the figures in docs/benchmarks.md.
    Report(report::Args),
}

/// Where results are written by default (`target/bench/results`).
pub fn default_results_dir() -> PathBuf {
    PathBuf::from("target/bench/results")
}

/// `KEY=VALUE` of the repeatable `--env` / `--host-env` flags.
pub fn parse_key_value(s: &str) -> std::result::Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s}: expected KEY=VALUE"))
}

/// Writes `value` as pretty JSON to `dir/file` and returns that path.
pub fn write_results(dir: &Path, file: &str, value: &impl Serialize) -> Result<PathBuf> {
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_vec_pretty(value)?)?;
    Ok(path)
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Lambda(args) => lambda::run(args).await,
        Command::Local(args) => local::run(args).await,
        Command::Drain(args) => drain::run(args).await,
        Command::Peers(args) => peers::run(*args).await,
        Command::TlsProxy(args) => tls_proxy::run(args).await,
        Command::Report(args) => report::run(&args),
    };
    if let Err(e) = outcome {
        eprintln!("orders-bench: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_splits_at_the_first_equals_sign() {
        assert_eq!(
            parse_key_value("RUST_LOG=a=b").unwrap(),
            ("RUST_LOG".to_string(), "a=b".to_string())
        );
        assert_eq!(
            parse_key_value("EMPTY=").unwrap(),
            ("EMPTY".to_string(), String::new())
        );
        assert_eq!(
            parse_key_value("NOPE").unwrap_err(),
            "NOPE: expected KEY=VALUE"
        );
    }
}
