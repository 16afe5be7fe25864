//! `orders-load`: drives the local host with concurrent creates of every
//! payment outcome while the saga runs, waits (bounded) for every accepted
//! order to settle, then checks the saga's invariants through the API and
//! the `/local/*` resources. Prints a table and one JSON line; exits 1 on
//! any violation. Loopback only. docs/load.md; scripts/load.sh.

mod host;
mod http;
mod run;

use clap::Parser;
use std::process::ExitCode;

/// Load and invariants on the local host.
#[derive(Debug, Parser)]
#[command(name = "orders-load", about)]
pub struct Cli {
    /// A running host (http://127.0.0.1:PORT; anything not loopback is
    /// refused). Default: spawn orders-local on a fresh database.
    #[arg(long)]
    url: Option<String>,
    /// The host's API key (with --url).
    #[arg(long, env = "ORDERS_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The orders-local binary to spawn (default: next to this one, else
    /// target/local, else target/debug).
    #[arg(long)]
    local_binary: Option<std::path::PathBuf>,
    /// Stop after this many creates...
    #[arg(long, default_value_t = 1000)]
    orders: usize,
    /// ...or after this many seconds of load, whichever comes first.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Concurrent clients, each with one kept-alive connection.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds to wait, after the load, for every accepted order to settle.
    #[arg(long, default_value_t = 120)]
    settle_timeout: u64,
    /// Units of the scarce SKU at the start (a spawned host). Default:
    /// 15 per 100 orders, so some orders find it out of stock.
    #[arg(long)]
    scarce_stock: Option<u64>,
    /// The spawned host's --saga-concurrency.
    #[arg(long, default_value_t = 32)]
    saga_concurrency: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run::run(&cli).await {
        Ok(summary) => {
            summary.print();
            if summary.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("orders-load: {e}");
            ExitCode::from(2)
        }
    }
}
