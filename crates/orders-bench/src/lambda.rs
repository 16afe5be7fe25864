//! Cold starts, invocations and peak RSS of the function binaries, each run
//! as Lambda runs a custom runtime: exec'd with Lambda's environment and
//! talking to a Runtime API (here the emulator on loopback).

use std::fs::{self, File, OpenOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::emulator::{Emulator, InitSignal, Outcome};
use crate::events::{self, EventSpec};
use crate::http_client;
use crate::stats::Summary;
use crate::Result;

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
    #[arg(long = "env", value_parser = parse_key_value)]
    extra_env: Vec<(String, String)>,
    /// Where lambda.json goes.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    out: PathBuf,
    /// Where the functions' stdout/stderr go.
    #[arg(long, default_value = "target/bench/logs")]
    log_dir: PathBuf,
}

fn parse_key_value(s: &str) -> std::result::Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s}: expected KEY=VALUE"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LambdaResults {
    /// `moto <endpoint>` or `none (closed loopback port)`.
    pub backend: String,
    pub functions: Vec<FunctionResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionResult {
    pub name: String,
    pub binary: String,
    pub binary_bytes: u64,
    /// Exec to first `GET /runtime/invocation/next`, ms, one per cold start.
    pub init_ms: Vec<f64>,
    pub init: Option<Summary>,
    pub init_failures: Vec<String>,
    /// VmHWM right after init, kB.
    pub rss_after_init_kb: Option<u64>,
    /// VmHWM after the invocations, kB.
    pub rss_peak_kb: Option<u64>,
    pub invocations: Vec<InvocationResult>,
}

impl FunctionResult {
    pub fn invocations_ok(&self) -> usize {
        self.invocations.iter().filter(|i| i.ok).count()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvocationResult {
    pub label: String,
    pub expected: String,
    pub status: u16,
    pub ms: f64,
    pub ok: bool,
    pub problems: Vec<String>,
    /// The order a successful create made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

/// What status an event should get.
#[derive(Clone, Copy)]
enum Expect {
    Exact(u16),
    /// Any status of this class (4 = 4xx, 5 = 5xx).
    Class(u16),
}

impl Expect {
    fn matches(self, status: u16) -> bool {
        match self {
            Expect::Exact(s) => s == status,
            Expect::Class(c) => status / 100 == c,
        }
    }
    fn describe(self) -> String {
        match self {
            Expect::Exact(s) => s.to_string(),
            Expect::Class(c) => format!("{c}xx"),
        }
    }
}

struct Case {
    label: String,
    event: Value,
    expect: Expect,
}

pub async fn run(args: Args) -> Result<()> {
    fs::create_dir_all(&args.out)?;
    fs::create_dir_all(&args.log_dir)?;
    let (endpoint, backend) = match &args.dynamodb_endpoint {
        Some(url) => {
            let addr = http_client::loopback_addr(url)?;
            ensure_table(addr).await?;
            (format!("http://{addr}"), format!("moto {url}"))
        }
        None => {
            // Bind, read the port, close: nothing listens there afterwards.
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            let port = l.local_addr()?.port();
            drop(l);
            (
                format!("http://127.0.0.1:{port}"),
                "none (closed loopback port)".to_string(),
            )
        }
    };
    let has_backend = args.dynamodb_endpoint.is_some();
    let mut results = LambdaResults {
        backend,
        functions: Vec::new(),
    };
    let mut created_ids: Vec<String> = Vec::new();
    for binary in &args.binaries {
        // Absolute: the function runs with LAMBDA_TASK_ROOT as its directory.
        let binary = &fs::canonicalize(binary).map_err(|e| format!("{}: {e}", binary.display()))?;
        let name = binary
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("binary path without a file name")?
            .to_string();
        let binary_bytes = fs::metadata(binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?
            .len();
        let log_path = args.log_dir.join(format!("{name}.log"));
        let _ = fs::remove_file(&log_path);
        let runner = Runner {
            binary: binary.clone(),
            name: name.clone(),
            endpoint: endpoint.clone(),
            extra_env: args.extra_env.clone(),
            log_path,
            init_timeout: Duration::from_millis(args.init_timeout_ms),
        };
        eprintln!("orders-bench: {name}: {} cold starts", args.cold_starts);
        let mut fr = FunctionResult {
            name: name.clone(),
            binary: binary.display().to_string(),
            binary_bytes,
            init_ms: Vec::new(),
            init: None,
            init_failures: Vec::new(),
            rss_after_init_kb: None,
            rss_peak_kb: None,
            invocations: Vec::new(),
        };
        for i in 0..args.cold_starts {
            match runner.cold_start().await {
                Ok((ms, mut child, _emu)) => {
                    fr.init_ms.push(ms);
                    stop(&mut child).await;
                }
                Err(e) => {
                    eprintln!("orders-bench: {name}: cold start {}: {e}", i + 1);
                    fr.init_failures.push(e.to_string());
                    if fr.init_ms.is_empty() && fr.init_failures.len() >= 3 {
                        eprintln!("orders-bench: {name}: giving up after 3 failed inits");
                        break;
                    }
                }
            }
        }
        fr.init = Summary::of(&fr.init_ms);

        if !fr.init_ms.is_empty() {
            eprintln!("orders-bench: {name}: invocations");
            let cases = cases_for(&name, has_backend, &created_ids);
            match runner.cold_start().await {
                Ok((_, mut child, emu)) => {
                    fr.rss_after_init_kb = child.id().and_then(vm_hwm_kb);
                    for case in cases {
                        let r = invoke(&emu, case).await;
                        // Orders made here feed get-order's cases.
                        created_ids.extend(r.order_id.clone());
                        fr.invocations.push(r);
                    }
                    fr.rss_peak_kb = child.id().and_then(vm_hwm_kb);
                    stop(&mut child).await;
                }
                Err(e) => fr.init_failures.push(format!("invocation run: {e}")),
            }
        }
        print_function(&fr);
        results.functions.push(fr);
    }
    let path = args.out.join("lambda.json");
    fs::write(&path, serde_json::to_vec_pretty(&results)?)?;
    println!();
    print_table(&results);
    eprintln!("orders-bench: wrote {}", path.display());
    Ok(())
}

struct Runner {
    binary: PathBuf,
    name: String,
    endpoint: String,
    extra_env: Vec<(String, String)>,
    log_path: PathBuf,
    init_timeout: Duration,
}

impl Runner {
    /// Starts an emulator and the function; returns exec-to-first-`next` in ms.
    async fn cold_start(&self) -> Result<(f64, Child, Emulator)> {
        let (emu, init_rx) = Emulator::start(&self.name).await?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)?;
        let mut cmd = self.command(emu.addr, log)?;
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{}: {e}", self.binary.display()))?;
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

    /// The environment Lambda gives a `provided.al2023` function (as the CDK
    /// stack configures it), pointed at loopback only.
    fn command(&self, runtime_api: SocketAddr, log: File) -> Result<Command> {
        let task_root = self
            .binary
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .current_dir(&task_root)
            .env("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin")
            .env("LANG", "en_US.UTF-8")
            .env("TZ", ":UTC")
            .env("LAMBDA_TASK_ROOT", &task_root)
            .env("LAMBDA_RUNTIME_DIR", "/var/runtime")
            .env("_HANDLER", "bootstrap")
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
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
            .env("ORDERS_TABLE_NAME", TABLE_NAME)
            .env("STAGE", "bench")
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
        Ok(cmd)
    }
}

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

async fn stop(child: &mut Child) {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

/// Peak resident set size (`VmHWM`) of a live process, kB.
pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn cases_for(name: &str, has_backend: bool, created: &[String]) -> Vec<Case> {
    let store = |ok: u16| {
        if has_backend {
            Expect::Exact(ok)
        } else {
            Expect::Class(5)
        }
    };
    let mut seq = 0u64;
    let mut ev = |spec: EventSpec<'_>| {
        seq += 1;
        events::rest_proxy_event(&spec, seq)
    };
    let mut cases = Vec::new();
    if name.contains("create") {
        for i in 0..3 {
            cases.push(Case {
                label: format!("create #{}", i + 1),
                event: ev(post_orders(events::CREATE_BODY, &[])),
                expect: store(201),
            });
        }
        let key: &[(&str, &str)] = &[("Idempotency-Key", "bench-idem-key-0001")];
        for label in ["create idempotent", "create idempotent replay"] {
            cases.push(Case {
                label: label.into(),
                event: ev(post_orders(events::CREATE_BODY, key)),
                expect: store(201),
            });
        }
        cases.push(Case {
            label: "create invalid body".into(),
            event: ev(post_orders(events::INVALID_BODY, &[])),
            expect: Expect::Class(4),
        });
    }
    if name.contains("get") {
        let mut gets: Vec<(&str, &str, Expect)> = created
            .iter()
            .take(3)
            .map(|id| ("get existing", id.as_str(), store(200)))
            .collect();
        gets.push(("get unknown", events::UNKNOWN_ORDER_ID, store(404)));
        gets.push(("get malformed id", "not-an-id", Expect::Class(4)));
        for (label, id, expect) in gets {
            let path = format!("/orders/{id}");
            let params = [("orderId", id)];
            cases.push(Case {
                label: label.into(),
                event: ev(get_order(&path, &params)),
                expect,
            });
        }
    }
    if name.contains("list") {
        for (label, query) in [
            ("list status=PENDING", &[("status", "PENDING")][..]),
            (
                "list status=PENDING limit=2",
                &[("status", "PENDING"), ("limit", "2")][..],
            ),
            ("list all", &[][..]),
        ] {
            cases.push(Case {
                label: label.into(),
                event: ev(list_orders(query)),
                expect: store(200),
            });
        }
        cases.push(Case {
            label: "list bad status".into(),
            event: ev(list_orders(&[("status", "NOPE")])),
            expect: Expect::Class(4),
        });
    }
    cases
}

fn post_orders<'a>(body: &'a str, headers: &'a [(&'a str, &'a str)]) -> EventSpec<'a> {
    EventSpec {
        method: "POST",
        resource: "/orders",
        path: "/orders",
        path_parameters: &[],
        query: &[],
        extra_headers: headers,
        body: Some(body),
    }
}

fn get_order<'a>(path: &'a str, params: &'a [(&'a str, &'a str)]) -> EventSpec<'a> {
    EventSpec {
        method: "GET",
        resource: "/orders/{orderId}",
        path,
        path_parameters: params,
        query: &[],
        extra_headers: &[],
        body: None,
    }
}

fn list_orders<'a>(query: &'a [(&'a str, &'a str)]) -> EventSpec<'a> {
    EventSpec {
        method: "GET",
        resource: "/orders",
        path: "/orders",
        path_parameters: &[],
        query,
        extra_headers: &[],
        body: None,
    }
}

async fn invoke(emu: &Emulator, case: Case) -> InvocationResult {
    let mut result = InvocationResult {
        label: case.label.clone(),
        expected: case.expect.describe(),
        status: 0,
        ms: 0.0,
        ok: false,
        problems: Vec::new(),
        order_id: None,
    };
    match emu.invoke(case.event, Duration::from_secs(30)).await {
        Ok((Outcome::Response(raw), took)) => {
            result.ms = took.as_secs_f64() * 1e3;
            let checked = events::check_proxy_response(&raw);
            result.status = checked.status;
            result.problems = checked.problems;
            if !case.expect.matches(checked.status) {
                result.problems.push(format!(
                    "expected {}, got {}: {}",
                    case.expect.describe(),
                    checked.status,
                    String::from_utf8_lossy(&raw)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ));
            }
            result.ok = result.problems.is_empty();
            if result.ok && checked.status == 201 {
                result.order_id = checked
                    .body
                    .as_ref()
                    .and_then(|b| b.get("orderId"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
        }
        Ok((Outcome::Error { error_type, body }, took)) => {
            result.ms = took.as_secs_f64() * 1e3;
            result.problems.push(format!(
                "function error {error_type}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        Err(e) => result.problems.push(e.to_string()),
    }
    result
}

/// Creates the orders table (keys and GSIs of docs/data-model.md) in moto.
async fn ensure_table(addr: SocketAddr) -> Result<()> {
    let key = |name: &str, kind: &str| json!({"AttributeName": name, "KeyType": kind});
    let attributes: Vec<Value> = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
        .iter()
        .map(|n| json!({"AttributeName": n, "AttributeType": "S"}))
        .collect();
    let body = json!({
        "TableName": TABLE_NAME,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": [key("pk", "HASH"), key("sk", "RANGE")],
        "GlobalSecondaryIndexes": [
            {"IndexName": "byStatus", "KeySchema": [key("gsi1pk", "HASH"), key("gsi1sk", "RANGE")],
             "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "byCreatedAt", "KeySchema": [key("gsi2pk", "HASH"), key("gsi2sk", "RANGE")],
             "Projection": {"ProjectionType": "ALL"}}
        ]
    });
    let resp = http_client::send(
        addr,
        Method::POST,
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "DynamoDB_20120810.CreateTable"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=ASIABENCHBENCHBENCH0/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
            ),
        ],
        serde_json::to_vec(&body)?,
        Duration::from_secs(10),
    )
    .await?;
    let text = String::from_utf8_lossy(&resp.body);
    if resp.status == 200 || text.contains("ResourceInUseException") {
        Ok(())
    } else {
        Err(format!("CreateTable on moto: {} {text}", resp.status).into())
    }
}

fn kb_to_mb(kb: Option<u64>) -> String {
    kb.map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn print_function(fr: &FunctionResult) {
    for inv in &fr.invocations {
        let mark = if inv.ok { "ok " } else { "BAD" };
        eprintln!(
            "  {mark} {:<40} {:>3} (expected {:>3}) {:>8.1} ms {}",
            inv.label,
            inv.status,
            inv.expected,
            inv.ms,
            inv.problems.join("; ")
        );
    }
}

pub fn print_table(r: &LambdaResults) {
    println!(
        "Lambda functions (x86_64 host build, DynamoDB backend: {})",
        r.backend
    );
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8} {:>11}",
        "function",
        "init p50",
        "init p90",
        "init min",
        "init max",
        "RSS init",
        "RSS peak",
        "invokes",
        "binary"
    );
    for f in &r.functions {
        let (p50, p90, min, max) =
            f.init
                .as_ref()
                .map_or(("-".into(), "-".into(), "-".into(), "-".into()), |s| {
                    (
                        format!("{:.2}", s.median),
                        format!("{:.2}", s.p90),
                        format!("{:.2}", s.min),
                        format!("{:.2}", s.max),
                    )
                });
        println!(
            "{:<14} {:>6} ms {:>6} ms {:>6} ms {:>6} ms {:>7} MB {:>7} MB {:>4}/{:<3} {:>8} MB",
            f.name,
            p50,
            p90,
            min,
            max,
            kb_to_mb(f.rss_after_init_kb),
            kb_to_mb(f.rss_peak_kb),
            f.invocations_ok(),
            f.invocations.len(),
            format!("{:.2}", f.binary_bytes as f64 / 1e6),
        );
    }
}
