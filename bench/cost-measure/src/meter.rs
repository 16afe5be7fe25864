//! What one function invocation costs outside DynamoDB: the log bytes it
//! wrote (stderr: the JSON tracing lines; stdout: the EMF metric lines, both
//! shipped to CloudWatch Logs), the CPU it took on this thread, and the
//! phase label the DynamoDB proxy files its requests under.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use tracing::Instrument;

/// The X-Ray trace header Lambda puts in the runtime's span (same length as a real one).
const XRAY_TRACE_ID: &str =
    "Root=1-6751a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1";

/// One invocation of one function.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub function: String,
    pub stderr_bytes: u64,
    pub stdout_bytes: u64,
    pub cpu_ms: f64,
    pub wall_ms: f64,
}

pub struct Meter {
    proxy: String,
    outcome: Mutex<String>,
    invocations: Mutex<BTreeMap<String, Vec<Invocation>>>,
    /// An invocation is running: whoever waits for the saga stays off the
    /// thread meanwhile, so its polling is not counted as the function's CPU.
    busy: AtomicBool,
}

/// Size so far of what file descriptor `fd` points at (a regular file: the
/// script redirects both streams).
fn fd_size(fd: i32) -> u64 {
    std::fs::metadata(format!("/proc/self/fd/{fd}"))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// CPU time of the calling thread (the runtime is single-threaded, so this is
/// the handler's work plus the SDK's: serialising, signing, HTTP).
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

impl Meter {
    /// `proxy` is `host:port` of scripts/cost/ddb_proxy.py.
    pub fn new(proxy: &str) -> Self {
        Self {
            proxy: proxy.to_string(),
            outcome: Mutex::new("setup".into()),
            invocations: Mutex::new(BTreeMap::new()),
            busy: AtomicBool::new(false),
        }
    }

    pub fn set_outcome(&self, outcome: &str) {
        *self.outcome.lock().unwrap() = outcome.to_string();
        self.label("setup");
    }

    fn outcome(&self) -> String {
        self.outcome.lock().unwrap().clone()
    }

    /// Files the DynamoDB requests that follow under `<outcome>/<what>`.
    pub fn label(&self, what: &str) {
        let label = format!("{}/{what}", self.outcome());
        self.control("POST", "/__phase", &label);
    }

    /// The proxy's counts, per label.
    pub fn report(&self) -> Value {
        let text = self.control("GET", "/__report", "");
        serde_json::from_str(&text).expect("the proxy's report is JSON")
    }

    fn control(&self, method: &str, path: &str, body: &str) -> String {
        let mut s = TcpStream::connect(&self.proxy).expect("the DynamoDB proxy");
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.proxy,
            body.len()
        )
        .expect("a request to the proxy");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("the proxy's answer");
        answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    /// Runs one invocation of `function` inside the span the Lambda runtime
    /// opens for each invocation, and records what it cost.
    pub async fn invoke<T>(&self, function: &str, fut: impl Future<Output = T>) -> T {
        self.label(function);
        let span = tracing::info_span!(
            "Lambda runtime invoke",
            requestId = %uuid::Uuid::now_v7(),
            xrayTraceId = XRAY_TRACE_ID
        );
        self.busy.store(true, Ordering::SeqCst);
        let (err0, out0, cpu0, wall0) = (fd_size(2), fd_size(1), thread_cpu_ms(), Instant::now());
        let out = fut.instrument(span).await;
        self.busy.store(false, Ordering::SeqCst);
        let inv = Invocation {
            function: function.to_string(),
            stderr_bytes: fd_size(2) - err0,
            stdout_bytes: fd_size(1) - out0,
            cpu_ms: thread_cpu_ms() - cpu0,
            wall_ms: wall0.elapsed().as_secs_f64() * 1e3,
        };
        self.invocations
            .lock()
            .unwrap()
            .entry(self.outcome())
            .or_default()
            .push(inv);
        self.label("between");
        out
    }

    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// Per outcome and function: invocations per order, mean log bytes per
    /// invocation, median CPU ms per invocation.
    pub fn summary(&self, orders: usize) -> Value {
        let all = self.invocations.lock().unwrap();
        let mut out = serde_json::Map::new();
        for (outcome, invs) in all.iter() {
            let mut by_fn: BTreeMap<&str, Vec<&Invocation>> = BTreeMap::new();
            for i in invs {
                by_fn.entry(i.function.as_str()).or_default().push(i);
            }
            let mut fns = serde_json::Map::new();
            for (f, list) in by_fn {
                let n = list.len() as f64;
                let mut cpu: Vec<f64> = list.iter().map(|i| i.cpu_ms).collect();
                cpu.sort_by(|a, b| a.total_cmp(b));
                let mut wall: Vec<f64> = list.iter().map(|i| i.wall_ms).collect();
                wall.sort_by(|a, b| a.total_cmp(b));
                fns.insert(
                    f.to_string(),
                    json!({
                        "invocations_per_order": n / orders as f64,
                        "stderr_bytes_per_invocation": list.iter().map(|i| i.stderr_bytes).sum::<u64>() as f64 / n,
                        "stdout_bytes_per_invocation": list.iter().map(|i| i.stdout_bytes).sum::<u64>() as f64 / n,
                        "cpu_ms_p50": round3(cpu[cpu.len() / 2]),
                        "cpu_ms_p90": round3(cpu[(cpu.len() * 9) / 10]),
                        "local_wall_ms_p50": round3(wall[wall.len() / 2]),
                    }),
                );
            }
            out.insert(outcome.clone(), Value::Object(fns));
        }
        Value::Object(out)
    }
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
