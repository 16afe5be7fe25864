//! `cargo run --profile local -p orders-local`: the Orders API on
//! 127.0.0.1 with the Lambda handlers on an embedded SQLite store.

use clap::Parser;
use orders_local::pipeline::{Faults, Pipeline, PipelineConfig};
use orders_local::{AppState, Config, Timeouts, DEFAULT_ALLOWED_ORIGINS};
use orders_local_sfn::faults::parse_probability;
use orders_local_sfn::TaskFaults;
use std::path::PathBuf;
use std::time::Duration;

/// The Orders API, locally: same handlers, API-key check, CORS and request
/// validation as on AWS, on one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "orders-local", version, about)]
struct Cli {
    /// Port on 127.0.0.1.
    #[arg(long, env = "ORDERS_PORT", default_value_t = 3000)]
    port: u16,
    /// The SQLite database file (kept across restarts).
    #[arg(long, env = "ORDERS_DB", default_value = ".orders-local/orders.db")]
    db: PathBuf,
    /// API key clients send in `x-api-key`. Default: generated on first
    /// start and kept in `api-key` next to the database.
    #[arg(long, env = "ORDERS_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Comma-separated browser origins allowed by CORS (`*` for any).
    #[arg(long, env = "ALLOWED_ORIGINS", default_value = DEFAULT_ALLOWED_ORIGINS)]
    allowed_origins: String,
    /// Seconds a received queue message stays hidden before it is delivered
    /// again (after a failure or a crash). Notifications wait at least the
    /// 30 s ledger lease.
    #[arg(long, env = "ORDERS_VISIBILITY_TIMEOUT", default_value_t = 30)]
    visibility_timeout: u64,
    /// Processor workers (each takes batches of up to 10 events).
    #[arg(long, env = "ORDERS_PROCESSORS", default_value_t = 2)]
    processors: usize,
    /// Multiplies the saga's retry waits (1: the workflow's own 2 s, 4 s;
    /// 0.01 for quick demos of the transient tokens).
    #[arg(long, env = "ORDERS_RETRY_WAIT_SCALE", default_value_t = 1.0)]
    retry_wait_scale: f64,
    /// Saga executions run at once.
    #[arg(long, env = "ORDERS_SAGA_CONCURRENCY", default_value_t = 32)]
    saga_concurrency: usize,
    /// The stock file seeded at first start (when the store has no stock):
    /// `{"items":[{"sku":"laptop","quantity":50}]}`. Default: the
    /// repository's contracts/stock/seed.json, built in.
    #[arg(long, env = "ORDERS_STOCK_FILE")]
    stock: Option<PathBuf>,
    /// Serve the API only: no dispatcher, processor, saga or notifier.
    #[arg(long)]
    no_pipeline: bool,
    /// Seconds a client may take to send a request's headers (and a
    /// keep-alive connection may stay idle) before it is closed.
    #[arg(long, env = "ORDERS_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a client may take to send a request's body (then 408).
    #[arg(long, env = "ORDERS_BODY_TIMEOUT", default_value_t = 10)]
    body_timeout: u64,
    // The fault flags have no environment variables on purpose: a variable
    // left in a shell would quietly break every later run.
    /// Inject saga task errors: comma-separated TASK:after-commit:ERROR:P
    /// (the task runs and commits, then the workflow sees ERROR instead of
    /// its result) and TASK:before-commit:ERROR:P (ERROR without running).
    /// TASK is payments, inventory, settle-order or *; the first entry that
    /// fires wins. E.g. payments:after-commit:Sandbox.Timedout:0.2
    #[arg(long, value_name = "SPEC")]
    saga_faults: Option<TaskFaults>,
    /// Probability that an order's saga also runs as a second, concurrent
    /// execution named `<orderId>~dup` (Express workflows' at-least-once).
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    saga_duplicates: f64,
    /// Probability that an OrderCreated reaches the processor twice (a second
    /// message `<eventId>~redelivery` on the order-events queue).
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    redeliver: f64,
    /// Seed of every fault decision: the same seed (and flags) injects the
    /// same faults into the same orders, attempts and events.
    #[arg(long, value_name = "N", default_value_t = 0)]
    fault_seed: u64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    orders_telemetry::init();
    let cli = Cli::parse();
    orders_notifications::warm_up();
    let faults = Faults {
        saga: cli.saga_faults.unwrap_or_default(),
        duplicates: cli.saga_duplicates,
        redeliver: cli.redeliver,
        seed: cli.fault_seed,
    };
    if cli.no_pipeline && faults.is_on() {
        tracing::warn!("the fault flags do nothing with --no-pipeline");
    }
    let pipeline_config = (!cli.no_pipeline).then(|| PipelineConfig {
        visibility_timeout: Duration::from_secs(cli.visibility_timeout.max(1)),
        processors: cli.processors.max(1),
        retry_wait_scale: cli.retry_wait_scale.max(0.0),
        saga_concurrency: cli.saga_concurrency.max(1),
        faults,
        ..PipelineConfig::default()
    });
    let faults_line = pipeline_config.as_ref().and_then(|p| p.faults.banner());
    if let Some(line) = &faults_line {
        tracing::warn!(faults = %line, "fault injection is on");
    }
    let config = Config {
        db: cli.db,
        api_key: cli.api_key,
        allowed_origins: cli.allowed_origins,
        pipeline: pipeline_config,
        timeouts: Timeouts {
            header_read: Duration::from_secs(cli.header_timeout.max(1)),
            body_read: Duration::from_secs(cli.body_timeout.max(1)),
        },
        stock_file: cli.stock,
    };
    let state = AppState::open(&config).await?;
    let pipeline = config
        .pipeline
        .as_ref()
        .map(|p| Pipeline::start(state.store(), state.executor(), p))
        .transpose()?;
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, cli.port)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let key = state.api_key().to_string();
    let fragment_key: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
    println!(
        "Status page: {url}/#key={fragment_key}
  (the key stays in the address's #fragment: never sent to the host, never logged)

Orders API (local) listening on {url}
  database:  {db}
  API key:   {key}
{faults}
Try it:
  curl -i -X POST {url}/orders \\
    -H 'x-api-key: {key}' -H 'content-type: application/json' \\
    -H 'Idempotency-Key: demo-1' \\
    -d '{{\"customerId\":\"cust-1\",\"items\":[{{\"sku\":\"laptop\",\"quantity\":1,\"price\":\"999.99\"}}]}}'
  (add \"paymentToken\":\"tok_decline_card\" for a declined payment; an unstocked SKU fails with a refund)
  curl -s {url}/orders -H 'x-api-key: {key}'
  curl -s {url}/orders/<orderId> -H 'x-api-key: {key}'
  curl -s -X POST {url}/orders/<orderId>/cancel -H 'x-api-key: {key}'
  curl -s {url}/local/executions/<orderId> -H 'x-api-key: {key}'
  curl -s {url}/local/payments -H 'x-api-key: {key}'
  curl -s {url}/local/stock -H 'x-api-key: {key}'
  curl -s {url}/local/notifications -H 'x-api-key: {key}'
  curl -s {url}/local/queues -H 'x-api-key: {key}'
",
        db = config.db.display(),
        faults = faults_line
            .map(|line| format!("\n{line}\n"))
            .unwrap_or_default(),
    );
    tracing::info!(url = %url, db = %config.db.display(), "orders-local started");
    orders_local::serve(state, listener, shutdown_signal()).await?;
    if let Some(p) = pipeline {
        p.stop().await;
    }
    tracing::info!("orders-local stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
