//! `orders-bench peers`: our nine functions side by side with create-order
//! written as the seeds write it in Node 22 and Python, and a bare
//! `lambda_runtime` floor, all started through the same Runtime API
//! emulator against the same DynamoDB (moto or DynamoDB Local),
//! interleaved round by round.
//!
//! * [`subjects`] and [`events`]: who runs, with which event.
//! * [`setup`]: the peers' table, a state machine, the orders the events name.
//! * [`cold`]: one cold start, its first response and warm invocations.
//! * [`summary`], [`results`] and [`table`]: ratios, peers.json and
//!   cold-starts.json, the console table.

mod cold;
mod events;
mod results;
mod setup;
mod subjects;
mod summary;
mod table;

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use orders_core::contract::env;

pub use results::{ColdStarts, PeersResults, ProfileResult};
pub use subjects::{named, FLOOR, FLOOR_HTTPS, NODE_PEER};
pub use summary::{CPU, FIRST_RESPONSE, INIT};
pub use table::{
    print_table, ratio_rows, subject_rows, tls_share_rows, RATIO_HEADER, SUBJECT_HEADER,
    TLS_SHARE_HEADER,
};

use crate::cgroup::{self, CpuQuota};
use crate::lambda::backend::Backend;
use crate::lambda::binary::FunctionBinary;
use crate::{http_client, Result};
use cold::Conditions;
use results::SubjectResult;

#[derive(clap::Args)]
pub struct Args {
    /// Our function binaries (file name = function name).
    #[arg(required = true)]
    binaries: Vec<PathBuf>,
    /// The floor: the bare lambda_runtime function.
    #[arg(long)]
    floor: PathBuf,
    /// Node 22 binary and the Node peer's bootstrap.mjs.
    #[arg(long, num_args = 2, value_names = ["NODE", "BOOTSTRAP"])]
    node: Option<Vec<PathBuf>>,
    /// The Python peer's venv python and its bootstrap.py.
    #[arg(long, num_args = 2, value_names = ["PYTHON", "BOOTSTRAP"])]
    python: Option<Vec<PathBuf>>,
    /// moto or DynamoDB Local on loopback: every subject does a real write
    /// there (`AWS_ENDPOINT_URL_DYNAMODB`).
    #[arg(long)]
    dynamodb_endpoint: String,
    /// What serves `--dynamodb-endpoint`, for the results (`moto`,
    /// `DynamoDB Local 2026-01-16`).
    #[arg(long, default_value = "moto")]
    dynamodb_name: String,
    /// moto on loopback for every other service (Step Functions, SNS, SES:
    /// `AWS_ENDPOINT_URL`); default: `--dynamodb-endpoint`.
    #[arg(long)]
    aws_endpoint: Option<String>,
    /// The TLS endpoint in front of `--dynamodb-endpoint` (`tls-proxy`): every
    /// subject also runs over it, as a twin named "<name> (TLS)".
    #[arg(long, requires = "floor_https")]
    tls_dynamodb_endpoint: Option<String>,
    /// The floor of the TLS twins: the function that makes one HTTPS request.
    #[arg(long, requires = "tls_dynamodb_endpoint")]
    floor_https: Option<PathBuf>,
    /// `KEY=VALUE` for the TLS twins only: how each runtime is told to trust
    /// the run's CA (`SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, `AWS_CA_BUNDLE`).
    #[arg(long = "tls-env", value_parser = crate::parse_key_value)]
    tls_env: Vec<(String, String)>,
    /// Rounds: each cold-starts every subject once, in a rotated order.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Warm invocations after each cold start's first.
    #[arg(long, default_value_t = 3)]
    warm_invokes: usize,
    /// Memory sizes whose Lambda CPU share is also run (cgroup quota),
    /// comma-separated; empty for none.
    #[arg(long, default_value = "128,256", value_delimiter = ',')]
    cpu_shares: Vec<String>,
    /// Rounds of each CPU-share profile (default: --rounds).
    #[arg(long)]
    share_rounds: Option<usize>,
    /// Creates one warm create-order serves before the rounds, so the
    /// store's own warm-up (DynamoDB Local's JIT) is not in the figures.
    #[arg(long, default_value_t = setup::BACKEND_WARM_UP)]
    backend_warm_up: usize,
    /// Fail when any cold start failed (a smoke run judges no figures, but
    /// every subject must answer).
    #[arg(long)]
    strict: bool,
    /// Give up on one init or invocation after this long.
    #[arg(long, default_value_t = 60_000)]
    timeout_ms: u64,
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    out: PathBuf,
    #[arg(long, default_value = "target/bench/logs/peers")]
    log_dir: PathBuf,
}

pub async fn run(args: Args) -> Result<()> {
    fs::create_dir_all(&args.out)?;
    fs::create_dir_all(&args.log_dir)?;
    let backend = Backend::connect(Some(&args.dynamodb_endpoint)).await?;
    let dynamodb = http_client::loopback_addr(&backend.endpoint)?;
    let aws = args.aws_endpoint.as_deref().unwrap_or(&backend.endpoint);
    let moto = http_client::loopback_addr(aws)?;
    let state_machine = setup::resources(dynamodb, moto).await?;
    if let Some(tls) = &args.tls_dynamodb_endpoint {
        http_client::loopback_tls_addr(tls)?;
    }
    let description = match &args.aws_endpoint {
        Some(aws) => format!(
            "{} {} (other services: moto {aws})",
            args.dynamodb_name, backend.endpoint
        ),
        None => format!("{} {}", args.dynamodb_name, backend.endpoint),
    };
    let description = match &args.tls_dynamodb_endpoint {
        Some(tls) => format!("{description}; TLS twins through {tls}"),
        None => description,
    };
    let extra_env = vec![
        ("AWS_ENDPOINT_URL".to_string(), format!("http://{moto}")),
        (env::STATE_MACHINE_ARN.into(), state_machine),
        (env::SMS_ENABLED.into(), "false".into()),
        ("ORDERS_TABLE".into(), setup::PEERS_TABLE.into()),
    ];
    let mut functions = Vec::new();
    for path in &args.binaries {
        functions.push(FunctionBinary::locate(path)?.path);
    }
    // Absolute (a subject runs in its own directory), symlinks kept: a
    // venv's python finds its packages through the path it was run by.
    let pair = |v: &Option<Vec<PathBuf>>| -> Result<Option<(PathBuf, PathBuf)>> {
        match v {
            Some(v) => Ok(Some((
                std::path::absolute(&v[0])?,
                std::path::absolute(&v[1])?,
            ))),
            None => Ok(None),
        }
    };
    let at = subjects::Locations {
        functions: functions.clone(),
        floor: FunctionBinary::locate(&args.floor)?.path,
        node: pair(&args.node)?,
        python: pair(&args.python)?,
        floor_https: match &args.floor_https {
            Some(p) => Some(FunctionBinary::locate(p)?.path),
            None => None,
        },
    };
    let mut conditions = Conditions {
        endpoint: &backend.endpoint,
        extra_env: &extra_env,
        tls: args
            .tls_dynamodb_endpoint
            .as_deref()
            .map(|e| (e, args.tls_env.as_slice())),
        memory_mb: 256,
        cgroup_procs: None,
        log_dir: &args.log_dir,
        warm_invokes: args.warm_invokes,
        timeout: Duration::from_millis(args.timeout_ms),
        settle: Duration::ZERO,
    };
    eprintln!("orders-bench: peers: set-up (orders, saga) on {description}");
    let orders = setup::orders(&functions, &conditions, args.backend_warm_up).await?;
    let subjects = subjects::all(&at, &orders);
    let mut results = PeersResults {
        backend: description,
        rounds: args.rounds,
        warm_invokes: args.warm_invokes,
        profiles: Vec::new(),
        skipped: Vec::new(),
    };
    results
        .profiles
        .push(profile(&subjects, &conditions, args.rounds, "full CPU".into(), None).await);
    for share in args.cpu_shares.iter().filter(|s| !s.trim().is_empty()) {
        let mb: u32 = share
            .trim()
            .parse()
            .map_err(|_| format!("--cpu-shares: {share}"))?;
        match CpuQuota::create(mb) {
            Ok(quota) => {
                conditions.memory_mb = mb;
                conditions.cgroup_procs = Some(quota.procs.clone());
                conditions.settle = Duration::from_micros(2 * cgroup::PERIOD_US);
                let rounds = args.share_rounds.unwrap_or(args.rounds);
                let label = format!("{mb} MB");
                let p = profile(&subjects, &conditions, rounds, label, Some(&quota)).await;
                results.profiles.push(p);
            }
            Err(e) => {
                eprintln!("orders-bench: peers: {mb} MB CPU share not available: {e}");
                results
                    .skipped
                    .push(format!("{mb} MB: not available ({e})"));
            }
        }
    }
    let path = crate::write_results(&args.out, "peers.json", &results)?;
    crate::write_results(&args.out, "cold-starts.json", &ColdStarts::of(&results))?;
    println!();
    print_table(&results);
    eprintln!("orders-bench: wrote {}", path.display());
    let failed: usize = results
        .profiles
        .iter()
        .flat_map(|p| &p.subjects)
        .map(|s| s.failures.len())
        .sum();
    if args.strict && failed > 0 {
        return Err(format!("peers: {failed} cold starts failed (see above)").into());
    }
    Ok(())
}

/// `rounds` interleaved rounds of every subject under `c`.
async fn profile(
    subjects: &[subjects::Subject],
    c: &Conditions<'_>,
    rounds: usize,
    label: String,
    quota: Option<&CpuQuota>,
) -> ProfileResult {
    let mut out: Vec<SubjectResult> = subjects
        .iter()
        .map(|s| SubjectResult {
            tls: s.tls,
            ..SubjectResult::new(s.name.clone(), s.kind, Vec::new())
        })
        .collect();
    for round in 0..rounds {
        eprintln!("orders-bench: peers: {label}: round {}/{rounds}", round + 1);
        for i in summary::rotation(subjects.len(), round) {
            match cold::once(&subjects[i], c, round).await {
                Ok(run) => out[i].runs.push(run),
                Err(e) => {
                    eprintln!(
                        "orders-bench: peers: {}: round {}: {e}",
                        subjects[i].name,
                        round + 1
                    );
                    out[i].failures.push(format!("round {}: {e}", round + 1));
                }
            }
        }
    }
    out.iter_mut().for_each(summary::summarise);
    ProfileResult {
        profile: label,
        memory_mb: c.memory_mb,
        quota_us: quota.map(|q| q.quota_us),
        quota: quota.map(|q| format!("{} = {} per {} us", q.how, q.quota_us, cgroup::PERIOD_US)),
        ratios: summary::ratios(&out),
        tls_shares: summary::tls_shares(&out),
        subjects: out,
    }
}

/// [`results_for_tests`] with create-order and the Node peer also over
/// TLS and the HTTPS floor, for the report's tests.
#[cfg(test)]
pub fn tls_results_for_tests() -> PeersResults {
    let mut r = results_for_tests();
    let p = &mut r.profiles[0];
    let twin = |base: &str, name: &str, scale: f64| {
        let s = p.subject(base).expect("subject");
        let mut t = s.clone();
        t.name = name.into();
        t.tls = true;
        for run in &mut t.runs {
            run.first_response_ms *= scale;
            run.cpu_ms = run.cpu_ms.map(|c| c * scale);
        }
        summary::summarise(&mut t);
        t
    };
    let twins = [
        twin("create-order", &named("create-order", true), 1.5),
        twin(NODE_PEER, &named(NODE_PEER, true), 1.05),
        twin(FLOOR, FLOOR_HTTPS, 2.5),
    ];
    p.subjects.extend(twins);
    p.ratios = summary::ratios(&p.subjects);
    p.tls_shares = summary::tls_shares(&p.subjects);
    r
}

/// One round of create-order, the Node peer and the floor, for the
/// report's tests.
#[cfg(test)]
pub fn results_for_tests() -> PeersResults {
    use results::Run;
    use subjects::Kind;
    let subject = |name: &str, kind: Kind, init: f64, first: f64| {
        let mut s = SubjectResult::new(
            name,
            kind,
            vec![Run {
                round: 0,
                init_ms: init,
                first_response_ms: first,
                warm_ms: vec![1.0],
                rss_peak_kb: Some(8192),
                cpu_ms: Some(init),
                warm_cpu_ms: Some(init / 10.0),
                status: "ok".into(),
            }],
        );
        summary::summarise(&mut s);
        s
    };
    let subjects = vec![
        subject("create-order", Kind::Ours, 3.0, 4.0),
        subject(NODE_PEER, Kind::Peer, 90.0, 100.0),
        subject(FLOOR, Kind::Floor, 2.0, 2.5),
    ];
    PeersResults {
        backend: "moto http://127.0.0.1:1".into(),
        rounds: 1,
        warm_invokes: 1,
        profiles: vec![ProfileResult {
            profile: "full CPU".into(),
            memory_mb: 256,
            quota_us: None,
            quota: None,
            ratios: summary::ratios(&subjects),
            tls_shares: Vec::new(),
            subjects,
        }],
        skipped: vec!["128 MB: not available (test)".into()],
    }
}
