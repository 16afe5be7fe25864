//! Throughput of the local host: `wrk` drives `POST /orders` on loopback,
//! then the stored orders are counted through `GET /orders`.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::events::{API_KEY, CREATE_BODY};
use crate::http_client;
use crate::lambda::vm_hwm_kb;
use crate::Result;

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
    #[arg(long = "host-env", value_parser = parse_key_value)]
    host_env: Vec<(String, String)>,
    /// Where local.json goes.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    out: PathBuf,
}

fn parse_key_value(s: &str) -> std::result::Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s}: expected KEY=VALUE"))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalResults {
    pub host_binary: String,
    pub threads: u32,
    pub duration_s: u32,
    pub runs: Vec<LoadRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadRun {
    pub connections: u32,
    pub requests: u64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Responses with status >= 400 (wrk's "Non-2xx or 3xx").
    pub non_2xx: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
    /// 2xx responses wrk saw, plus the one smoke-test order.
    pub expected_orders: u64,
    /// Orders `GET /orders` returned afterwards.
    pub stored_orders: Option<u64>,
    pub count_error: Option<String>,
    /// Peak RSS of the host process, kB.
    pub host_rss_kb: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct WrkSummary {
    requests: u64,
    duration_us: u64,
    errors_connect: u64,
    errors_read: u64,
    errors_write: u64,
    errors_status: u64,
    errors_timeout: u64,
    latency_p50_us: f64,
    latency_p90_us: f64,
    latency_p99_us: f64,
    latency_max_us: f64,
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
        print_run(&run);
        results.runs.push(run);
    }
    let path = args.out.join("local.json");
    fs::write(&path, serde_json::to_vec_pretty(&results)?)?;
    println!();
    print_table(&results);
    eprintln!("orders-bench: wrote {}", path.display());
    Ok(())
}

async fn load_run(args: &Args, connections: u32) -> Result<LoadRun> {
    let dir = args.work_dir.join(format!("c{connections}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let log = File::create(dir.join("host.log"))?;
    let mut cmd = Command::new(&args.bin);
    cmd.arg("--port")
        .arg(port.to_string())
        .arg("--db")
        .arg(dir.join("orders.db"))
        .arg("--api-key")
        .arg(API_KEY)
        .args((!args.with_pipeline).then_some("--no-pipeline"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    for (k, v) in &args.host_env {
        cmd.env(k, v);
    }
    let mut host = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", args.bin.display()))?;
    let outcome = drive(args, connections, addr, &dir, &mut host).await;
    terminate(&mut host).await;
    outcome.map_err(|e| format!("{e} (host log: {})", dir.join("host.log").display()).into())
}

async fn drive(
    args: &Args,
    connections: u32,
    addr: SocketAddr,
    dir: &Path,
    host: &mut Child,
) -> Result<LoadRun> {
    wait_healthy(addr, host).await?;
    let key = [("x-api-key", API_KEY), ("content-type", "application/json")];
    let smoke = http_client::send(
        addr,
        Method::POST,
        "/orders",
        &key,
        CREATE_BODY.as_bytes().to_vec(),
        Duration::from_secs(10),
    )
    .await?;
    if smoke.status != 201 {
        return Err(format!(
            "smoke POST /orders: {} {}",
            smoke.status,
            String::from_utf8_lossy(&smoke.body)
        )
        .into());
    }

    let script = dir.join("post-orders.lua");
    fs::write(&script, wrk_script())?;
    let output = Command::new(&args.wrk)
        .arg(format!("-t{}", args.threads))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", args.duration))
        .arg("--latency")
        .arg("--timeout")
        .arg("5s")
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{addr}/orders"))
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("{}: {e} (apt-get install -y wrk)", args.wrk.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    fs::write(
        dir.join("wrk.txt"),
        format!("{stdout}{}", String::from_utf8_lossy(&output.stderr)),
    )?;
    let summary: WrkSummary = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH_JSON "))
        .ok_or_else(|| format!("wrk printed no summary:\n{stdout}"))
        .and_then(|j| serde_json::from_str(j).map_err(|e| format!("wrk summary: {e}")))?;
    let host_rss_kb = host.id().and_then(vm_hwm_kb);

    let ok_2xx = summary.requests.saturating_sub(summary.errors_status);
    let (stored_orders, count_error) = match count_orders(addr, None).await {
        Ok(n) => (Some(n), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let secs = summary.duration_us as f64 / 1e6;
    Ok(LoadRun {
        connections,
        requests: summary.requests,
        requests_per_s: summary.requests as f64 / secs,
        p50_ms: summary.latency_p50_us / 1e3,
        p90_ms: summary.latency_p90_us / 1e3,
        p99_ms: summary.latency_p99_us / 1e3,
        max_ms: summary.latency_max_us / 1e3,
        non_2xx: summary.errors_status,
        socket_errors: summary.errors_connect
            + summary.errors_read
            + summary.errors_write
            + summary.errors_timeout,
        expected_orders: ok_2xx + 1,
        stored_orders,
        count_error,
        host_rss_kb,
    })
}

/// The wrk script: a fixed valid order; `done` prints a machine-readable
/// summary (latencies in microseconds) next to wrk's own report.
fn wrk_script() -> String {
    format!(
        r#"-- generated by orders-bench
wrk.method = "POST"
wrk.body = [[{CREATE_BODY}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = "{API_KEY}"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {{\"requests\":%d,\"duration_us\":%d,\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d,\"latency_p50_us\":%d,\"latency_p90_us\":%d,\"latency_p99_us\":%d,\"latency_max_us\":%d}}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"#
    )
}

pub(crate) async fn wait_healthy(addr: SocketAddr, host: &mut Child) -> Result<()> {
    let started = Instant::now();
    loop {
        if let Some(status) = host.try_wait()? {
            return Err(format!("local host exited before /health answered: {status}").into());
        }
        if let Ok(r) = http_client::send(
            addr,
            Method::GET,
            "/health",
            &[("x-api-key", API_KEY)],
            Vec::new(),
            Duration::from_secs(2),
        )
        .await
        {
            if r.status == 200 {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("local host: /health not 200 within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Pages through `GET /orders?limit=100[&status=]` and counts.
pub(crate) async fn count_orders(addr: SocketAddr, status: Option<&str>) -> Result<u64> {
    let mut total = 0u64;
    let mut token: Option<String> = None;
    let base = match status {
        Some(s) => format!("/orders?limit=100&status={s}"),
        None => "/orders?limit=100".to_string(),
    };
    for _ in 0..100_000 {
        let path = match &token {
            Some(t) => format!("{base}&nextToken={}", percent_encode(t)),
            None => base.clone(),
        };
        let r = http_client::send(
            addr,
            Method::GET,
            &path,
            &[("x-api-key", API_KEY)],
            Vec::new(),
            Duration::from_secs(30),
        )
        .await?;
        if r.status != 200 {
            return Err(format!(
                "GET {path}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            )
            .into());
        }
        let page: Value = serde_json::from_slice(&r.body)?;
        let n = page
            .get("orders")
            .and_then(Value::as_array)
            .map(Vec::len)
            .ok_or("GET /orders: no orders array")?;
        total += n as u64;
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) if n > 0 => token = Some(t.to_string()),
            _ => return Ok(total),
        }
    }
    Err("GET /orders: more than 100,000 pages".into())
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// SIGTERM (graceful), then SIGKILL after 10 s.
pub(crate) async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn print_run(r: &LoadRun) {
    eprintln!(
        "  {} req/s, p50 {:.2} ms, p99 {:.2} ms, non-2xx {}, socket errors {}, stored {} of {} expected{}",
        r.requests_per_s.round(),
        r.p50_ms,
        r.p99_ms,
        r.non_2xx,
        r.socket_errors,
        r.stored_orders.map_or("?".into(), |n| n.to_string()),
        r.expected_orders,
        r.count_error.as_deref().map_or(String::new(), |e| format!(" ({e})")),
    );
}

pub fn print_table(r: &LocalResults) {
    println!(
        "Local host POST /orders ({}, wrk -t{} -d{}s)",
        r.host_binary, r.threads, r.duration_s
    );
    println!(
        "{:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9} {:>9} {:>8}",
        "conns",
        "req/s",
        "p50",
        "p90",
        "p99",
        "max",
        "non-2xx",
        "sockerr",
        "2xx+1",
        "stored",
        "RSS"
    );
    for run in &r.runs {
        println!(
            "{:>5} {:>9.0} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>6.1} ms {:>8} {:>8} {:>9} {:>9} {:>5.1} MB",
            run.connections,
            run.requests_per_s,
            run.p50_ms,
            run.p90_ms,
            run.p99_ms,
            run.max_ms,
            run.non_2xx,
            run.socket_errors,
            run.expected_orders,
            run.stored_orders.map_or("?".into(), |n| n.to_string()),
            run.host_rss_kb.unwrap_or(0) as f64 / 1024.0,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_is_lua_with_the_body() {
        let s = wrk_script();
        assert!(s.contains(CREATE_BODY));
        assert!(s.contains("BENCH_JSON {\\\"requests\\\":%d"));
    }

    #[test]
    fn encodes_tokens() {
        assert_eq!(percent_encode("ab-_.~"), "ab-_.~");
        assert_eq!(percent_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }
}
