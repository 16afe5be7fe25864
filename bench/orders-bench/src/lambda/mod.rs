//! `orders-bench lambda`: cold starts, invocations and peak RSS of the
//! function binaries, each run as Lambda runs a custom runtime: exec'd with
//! Lambda's environment and talking to a Runtime API (here the emulator on
//! loopback).
//!
//! * [`backend`]: the DynamoDB endpoint the functions get (moto or a closed
//!   port).
//! * [`binary`]: locating a function binary and its name.
//! * [`runner`]: starting one function process the way Lambda does.
//! * [`cold_start`]: the init-time rounds.
//! * [`cases`] and [`warm`]: the API Gateway events one warm instance serves.
//! * [`results`] and [`table`]: lambda.json and its console table.

pub(crate) mod backend;
pub(crate) mod binary;
pub(crate) mod cases;
mod cold_start;
pub(crate) mod results;
pub(crate) mod runner;
mod table;
mod warm;

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

pub use results::{FunctionResult, LambdaResults};
pub use table::print_table;

use crate::Result;
use backend::Backend;
use binary::FunctionBinary;
use runner::Runner;

/// The DynamoDB table the functions are configured with (and that is
/// created in moto).
pub const TABLE_NAME: &str = "orders-bench";

#[derive(clap::Args)]
pub struct Args {
    /// Function binaries (file name = function name), e.g. target/release/create-order.
    #[arg(required = true)]
    binaries: Vec<PathBuf>,
    /// Cold starts per function.
    #[arg(long, default_value_t = 20)]
    cold_starts: usize,
    /// DynamoDB endpoint (a moto server on loopback). Without it the functions
    /// get a closed loopback port, so calls that reach the store fail fast.
    #[arg(long)]
    dynamodb_endpoint: Option<String>,
    /// Give up on one init after this long.
    #[arg(long, default_value_t = 10_000)]
    init_timeout_ms: u64,
    /// Extra environment for the functions, KEY=VALUE (repeatable).
    #[arg(long = "env", value_parser = crate::parse_key_value)]
    extra_env: Vec<(String, String)>,
    /// Where lambda.json goes.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    out: PathBuf,
    /// Where the functions' stdout/stderr go.
    #[arg(long, default_value = "target/bench/logs")]
    log_dir: PathBuf,
}

pub async fn run(args: Args) -> Result<()> {
    fs::create_dir_all(&args.out)?;
    fs::create_dir_all(&args.log_dir)?;
    let backend = Backend::connect(args.dynamodb_endpoint.as_deref()).await?;
    let mut results = LambdaResults {
        backend: backend.description.clone(),
        functions: Vec::new(),
    };
    // Orders made by create-order's cases feed get-order's cases.
    let mut created_ids: Vec<String> = Vec::new();
    for path in &args.binaries {
        let binary = FunctionBinary::locate(path)?;
        let log_path = args.log_dir.join(format!("{}.log", binary.name));
        let _ = fs::remove_file(&log_path);
        let runner = Runner {
            binary: binary.path.clone(),
            args: Vec::new(),
            name: binary.name.clone(),
            memory_mb: 256,
            cgroup_procs: None,
            endpoint: backend.endpoint.clone(),
            extra_env: args.extra_env.clone(),
            log_path,
            init_timeout: Duration::from_millis(args.init_timeout_ms),
        };
        eprintln!(
            "orders-bench: {}: {} cold starts",
            binary.name, args.cold_starts
        );
        let mut fr = FunctionResult::new(&binary);
        cold_start::measure(&runner, args.cold_starts, &mut fr).await;
        if !fr.init_ms.is_empty() {
            eprintln!("orders-bench: {}: invocations", binary.name);
            let cases = cases::for_function(&binary.name, backend.has_store, &created_ids);
            warm::serve(&runner, cases, &mut fr, &mut created_ids).await;
        }
        table::print_function(&fr);
        results.functions.push(fr);
    }
    let path = crate::write_results(&args.out, "lambda.json", &results)?;
    println!();
    print_table(&results);
    eprintln!("orders-bench: wrote {}", path.display());
    Ok(())
}
