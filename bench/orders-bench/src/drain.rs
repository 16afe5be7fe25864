//! Drain rate of the local host's pipeline: how fast accepted orders go
//! from their 201 to a terminal status (the whole saga: charge, reserve,
//! complete) and have their notifications.
//!
//! 1. A host with `--no-pipeline` accepts `--orders` orders (`POST /orders`
//!    from 32 concurrent clients), so they all wait in the outbox; its first
//!    start seeds enough stock for all of them (`--stock`).
//! 2. A host with the pipeline starts on the same database; the clock runs
//!    from its spawn until the processing queue is empty (every order
//!    PROCESSING), until no saga is running (every order COMPLETED), then
//!    until every notification is sent.
//! 3. `GET /orders?status=COMPLETED` must count every order.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::process::Child;

use crate::http_client;
use crate::local::api;
use crate::local::host::{self, terminate, wait_healthy};
use crate::Result;

#[derive(clap::Args)]
pub struct Args {
    /// The local host binary.
    #[arg(long, default_value = "target/local/orders-local")]
    bin: PathBuf,
    /// Orders to drain.
    #[arg(long, default_value_t = 20_000)]
    orders: u64,
    /// Processor workers of the draining host.
    #[arg(long, default_value_t = 2)]
    processors: u32,
    /// Scratch space: database and host logs.
    #[arg(long, default_value = "target/bench/drain")]
    work_dir: PathBuf,
    /// Where drain.json goes.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    out: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DrainResults {
    pub host_binary: String,
    pub orders: u64,
    pub processors: u32,
    /// Host spawn to an empty processing queue.
    pub processing_s: f64,
    pub processing_per_s: f64,
    /// Host spawn to every saga finished (every order COMPLETED).
    pub completed_s: f64,
    pub completed_per_s: f64,
    /// Host spawn to the last notification.
    pub notified_s: f64,
    pub notified_per_s: f64,
    /// `GET /orders?status=COMPLETED` afterwards.
    pub completed_orders: u64,
}

/// A host on `addr` and the drain's database, logging warnings to
/// `work_dir/<log>`.
fn spawn(args: &Args, addr: SocketAddr, log: &str, extra: &[String]) -> Result<Child> {
    let log = File::create(args.work_dir.join(log))?;
    let mut cmd = host::command(&args.bin, addr.port(), &args.work_dir.join("orders.db"));
    cmd.args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    host::spawn(&mut cmd, &args.bin)
}

/// Accepts `n` orders from 32 concurrent clients.
async fn fill(addr: SocketAddr, n: u64) -> Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let r = api::post_order(addr, Duration::from_secs(30)).await?;
                if r.status != 201 {
                    return Err(format!("POST /orders: {}", r.status).into());
                }
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

pub async fn run(args: Args) -> Result<()> {
    if !args.bin.exists() {
        return Err(format!("{}: not built", args.bin.display()).into());
    }
    let _ = fs::remove_dir_all(&args.work_dir);
    fs::create_dir_all(&args.work_dir)?;
    fs::create_dir_all(&args.out)?;

    eprintln!(
        "orders-bench: drain: accepting {} orders (no pipeline)",
        args.orders
    );
    // Stock for every order (the bench order: 2 mugs and 1 tea).
    let stock = args.work_dir.join("stock.json");
    fs::write(
        &stock,
        serde_json::json!({"items": [
            {"sku": "SKU-RED-MUG", "quantity": 2 * args.orders},
            {"sku": "SKU-TEA-100G", "quantity": args.orders},
        ]})
        .to_string(),
    )?;
    let addr = http_client::free_loopback_addr()?;
    let mut host = spawn(
        &args,
        addr,
        "fill.log",
        &[
            "--no-pipeline".into(),
            "--stock".into(),
            stock.display().to_string(),
        ],
    )?;
    wait_healthy(addr, &mut host).await?;
    let filled = fill(addr, args.orders).await;
    terminate(&mut host).await;
    filled?;

    eprintln!(
        "orders-bench: drain: draining with {} processors",
        args.processors
    );
    let addr = http_client::free_loopback_addr()?;
    let started = Instant::now();
    let mut host = spawn(
        &args,
        addr,
        "drain.log",
        &["--processors".into(), args.processors.to_string()],
    )?;
    let outcome = async {
        wait_healthy(addr, &mut host).await?;
        let mut processing_s = None;
        let mut completed_s = None;
        let deadline = Duration::from_secs(600);
        loop {
            let q = api::get_json(addr, "/local/queues").await?;
            let events = &q["queues"]["order-events"];
            if processing_s.is_none()
                && q["outbox"] == 0
                && events["visible"] == 0
                && events["inFlight"] == 0
            {
                processing_s = Some(started.elapsed().as_secs_f64());
            }
            if processing_s.is_some() && completed_s.is_none() {
                let running =
                    api::get_json(addr, "/local/executions?status=RUNNING&limit=1").await?;
                if running["count"] == 0 {
                    completed_s = Some(started.elapsed().as_secs_f64());
                }
            }
            if let (Some(p), Some(c)) = (processing_s, completed_s) {
                let q = api::get_json(addr, "/local/queues").await?;
                let notes = &q["queues"]["order-notifications"];
                if q["outbox"] == 0 && notes["visible"] == 0 && notes["inFlight"] == 0 {
                    let sent = api::get_json(addr, "/local/notifications?limit=1").await;
                    // The queue is empty once the last one is recorded.
                    sent?;
                    return Ok::<(f64, f64, f64), Box<dyn std::error::Error + Send + Sync>>((
                        p,
                        c,
                        started.elapsed().as_secs_f64(),
                    ));
                }
            }
            if started.elapsed() > deadline {
                return Err(format!("not drained after {deadline:?}: {q}").into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    .await;
    let counted = match &outcome {
        Ok(_) => api::count_orders(addr, Some("COMPLETED")).await,
        Err(_) => Ok(0),
    };
    terminate(&mut host).await;
    let (processing_s, completed_s, notified_s) = outcome?;
    let completed_orders = counted?;
    if completed_orders != args.orders {
        return Err(format!(
            "{completed_orders} of {} orders are COMPLETED after the drain",
            args.orders
        )
        .into());
    }
    let results = DrainResults {
        host_binary: args.bin.display().to_string(),
        orders: args.orders,
        processors: args.processors,
        processing_s,
        processing_per_s: args.orders as f64 / processing_s,
        completed_s,
        completed_per_s: args.orders as f64 / completed_s,
        notified_s,
        notified_per_s: args.orders as f64 / notified_s,
        completed_orders,
    };
    print_table(&results);
    let path = crate::write_results(&args.out, "drain.json", &results)?;
    eprintln!("orders-bench: wrote {}", path.display());
    Ok(())
}

pub fn print_table(r: &DrainResults) {
    println!(
        "Local pipeline drain ({} orders, {} processors): PROCESSING in {:.2} s = {:.0} orders/s; COMPLETED (saga done) in {:.2} s = {:.0} orders/s; notified in {:.2} s = {:.0} orders/s",
        r.orders, r.processors, r.processing_s, r.processing_per_s, r.completed_s, r.completed_per_s, r.notified_s, r.notified_per_s
    );
}
