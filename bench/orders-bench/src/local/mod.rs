//! `orders-bench local`: throughput of the local host. `wrk` drives
//! `POST /orders` on loopback, then the stored orders are counted through
//! `GET /orders`.
//!
//! * [`host`]: starting and stopping the local host process (also used by
//!   `drain`).
//! * [`api`]: the requests the benchmarks make to the host's API.
//! * [`wrk`]: the load generator, its script and its summary.
//! * [`results`] and [`table`]: local.json and its console output.

pub mod api;
pub mod host;
mod results;
mod table;
mod wrk;

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Child;

pub use results::{LoadRun, LocalResults};
pub use table::print_table;

use crate::http_client;
use crate::procfs::vm_hwm_kb;
use crate::Result;
use host::{terminate, wait_healthy};

#[derive(clap::Args)]
pub struct Args {
    /// The local host binary.
    #[arg(long, default_value = "target/local/orders-local")]
    bin: PathBuf,
    /// Connection counts to try, one 30 s run each (fresh database per run).
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    connections: Vec<u32>,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// Seconds per run.
    #[arg(long, default_value_t = 30)]
    duration: u32,
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
    /// Scratch space: databases, wrk scripts and output, host logs.
    #[arg(long, default_value = "target/bench/local")]
    work_dir: PathBuf,
    /// Run the host's asynchronous pipeline during the load (default: API
    /// only, so the figure is the API's own).
    #[arg(long)]
    with_pipeline: bool,
    /// Extra environment for the host, KEY=VALUE (repeatable).
    #[arg(long = "host-env", value_parser = crate::parse_key_value)]
    host_env: Vec<(String, String)>,
    /// Where local.json goes.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    out: PathBuf,
}

pub async fn run(args: Args) -> Result<()> {
    if !args.bin.exists() {
        return Err(format!(
            "{}: not built (cargo build --profile local -p orders-local)",
            args.bin.display()
        )
        .into());
    }
    fs::create_dir_all(&args.out)?;
    let mut results = LocalResults {
        host_binary: args.bin.display().to_string(),
        threads: args.threads,
        duration_s: args.duration,
        runs: Vec::new(),
    };
    for &c in &args.connections {
        eprintln!(
            "orders-bench: local host, {c} connections, {} s",
            args.duration
        );
        let run = load_run(&args, c).await?;
        table::print_run(&run);
        results.runs.push(run);
    }
    let path = crate::write_results(&args.out, "local.json", &results)?;
    println!();
    print_table(&results);
    eprintln!("orders-bench: wrote {}", path.display());
    Ok(())
}

/// One run: a fresh host on a fresh database in `<work_dir>/c<connections>`,
/// stopped afterwards whatever happened.
async fn load_run(args: &Args, connections: u32) -> Result<LoadRun> {
    let dir = args.work_dir.join(format!("c{connections}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let addr = http_client::free_loopback_addr()?;
    let log = File::create(dir.join("host.log"))?;
    let mut cmd = host::command(&args.bin, addr.port(), &dir.join("orders.db"));
    cmd.args((!args.with_pipeline).then_some("--no-pipeline"))
        .env_remove("RUST_LOG")
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log));
    for (k, v) in &args.host_env {
        cmd.env(k, v);
    }
    let mut host = host::spawn(&mut cmd, &args.bin)?;
    let outcome = drive(args, connections, addr, &dir, &mut host).await;
    terminate(&mut host).await;
    outcome.map_err(|e| format!("{e} (host log: {})", dir.join("host.log").display()).into())
}

/// Health, one smoke-test order, the wrk run, the host's RSS, the count.
async fn drive(
    args: &Args,
    connections: u32,
    addr: SocketAddr,
    dir: &Path,
    host: &mut Child,
) -> Result<LoadRun> {
    wait_healthy(addr, host).await?;
    let smoke = api::post_order(addr, Duration::from_secs(10)).await?;
    if smoke.status != 201 {
        return Err(api::unexpected("smoke POST /orders", &smoke).into());
    }
    let load = wrk::Load {
        wrk: &args.wrk,
        threads: args.threads,
        connections,
        duration_s: args.duration,
    };
    let summary = load.run(addr, dir).await?;
    let host_rss_kb = host.id().and_then(vm_hwm_kb);
    let (stored_orders, count_error) = match api::count_orders(addr, None).await {
        Ok(n) => (Some(n), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(summary.into_run(connections, stored_orders, count_error, host_rss_kb))
}
