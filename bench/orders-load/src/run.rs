//! One run: the load, the wait for the saga, the checks, the summary.

use crate::host::{local_binary, Host};
use crate::http::{BoxError, Conn};
use crate::Cli;
use http::{Method, StatusCode};
use orders_load::invariants::{check, Kind, Report, Snapshot, StockBefore};
use orders_load::mix::{initial_stock, mixed_order};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts of one create: the first and up to four retries after a 503
/// (waiting its `Retry-After`, same `Idempotency-Key`).
const ATTEMPTS: usize = 5;

#[derive(Default)]
struct Tally {
    accepted: BTreeSet<String>,
    /// POST /orders latencies (every attempt), in microseconds.
    latencies: Vec<u64>,
    /// 503s answered (each then retried after its Retry-After).
    busy: usize,
    busy_without_retry_after: usize,
    /// Creates refused otherwise (status → count), or not answered.
    refused: BTreeMap<String, usize>,
}

pub struct Summary {
    sent: usize,
    tally: Tally,
    report: Report,
    load_secs: f64,
    settle_secs: f64,
}

async fn stock_before(c: &mut Conn) -> Result<BTreeMap<String, StockBefore>, BoxError> {
    let stock = c.get_json("/local/stock").await?;
    let mut out = BTreeMap::new();
    for s in stock["stock"].as_array().into_iter().flatten() {
        let n = |f: &str| s[f].as_u64().unwrap_or(0);
        let sku = s["sku"].as_str().unwrap_or_default().to_string();
        out.insert(
            sku,
            StockBefore {
                total: n("available") + n("reserved"),
                reserved: n("reserved"),
            },
        );
    }
    Ok(out)
}

async fn create(c: &mut Conn, i: usize, run: &str, tally: &Mutex<Tally>) {
    let body = mixed_order(i);
    let key = format!("{run}-{i}");
    for _ in 0..ATTEMPTS {
        let t0 = Instant::now();
        let sent = c
            .send(
                Method::POST,
                "/orders",
                &[("idempotency-key", &key)],
                Some(&body),
            )
            .await;
        let micros = t0.elapsed().as_micros() as u64;
        let wait = {
            let mut t = tally.lock().unwrap();
            t.latencies.push(micros);
            match sent {
                Err(e) => {
                    *t.refused.entry(format!("no answer: {e}")).or_default() += 1;
                    return;
                }
                Ok(a) if a.status == StatusCode::CREATED => {
                    let id = a.json()["orderId"].as_str().unwrap_or_default().to_string();
                    t.accepted.insert(id);
                    return;
                }
                Ok(a) if a.status == StatusCode::SERVICE_UNAVAILABLE => {
                    t.busy += 1;
                    t.busy_without_retry_after += usize::from(a.retry_after.is_none());
                    a.retry_after.unwrap_or(1)
                }
                Ok(a) => {
                    *t.refused.entry(a.status.as_u16().to_string()).or_default() += 1;
                    return;
                }
            }
        };
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    *tally
        .lock()
        .unwrap()
        .refused
        .entry("503 after retries".into())
        .or_default() += 1;
}

async fn load(cli: &Cli, addr: SocketAddr, key: &str) -> (usize, Tally) {
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(cli.duration);
    let run = format!(
        "load-{}-{}",
        std::process::id(),
        deadline.elapsed().as_nanos()
    );
    let mut workers = Vec::new();
    for _ in 0..cli.concurrency.max(1) {
        let (next, tally, run, key, orders) = (
            next.clone(),
            tally.clone(),
            run.clone(),
            key.to_string(),
            cli.orders,
        );
        workers.push(tokio::spawn(async move {
            let mut c = Conn::new(addr, &key);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= orders || Instant::now() >= deadline {
                    return;
                }
                create(&mut c, i, &run, &tally).await;
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let sent = next.load(Ordering::Relaxed).min(cli.orders);
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    (sent, tally)
}

async fn snapshot(c: &mut Conn) -> Result<Snapshot, BoxError> {
    let mut orders = Vec::new();
    let mut path = "/orders?limit=100".to_string();
    loop {
        let page = c.get_json(&path).await?;
        orders.extend(page["orders"].as_array().into_iter().flatten().cloned());
        match page["nextToken"].as_str() {
            Some(t) => path = format!("/orders?limit=100&nextToken={t}"),
            None => break,
        }
    }
    let list = |v: Value, name: &str| v[name].as_array().cloned().unwrap_or_default();
    let payments = list(
        c.get_json("/local/payments?limit=100000").await?,
        "payments",
    );
    let stock = list(c.get_json("/local/stock").await?, "stock");
    let executions = list(
        c.get_json("/local/executions?limit=100000").await?,
        "executions",
    );
    let mut notifications = BTreeMap::new();
    for n in list(
        c.get_json("/local/notifications?limit=100000").await?,
        "notifications",
    ) {
        let s = |f: &str| n[f].as_str().unwrap_or_default().to_string();
        *notifications
            .entry((s("orderId"), s("status")))
            .or_insert(0) += 1;
    }
    Ok(Snapshot {
        orders,
        payments,
        stock,
        executions,
        notifications,
    })
}

/// Every accepted order COMPLETED or FAILED, with its two notifications.
fn settled(snap: &Snapshot, accepted: &BTreeSet<String>) -> bool {
    let terminal = snap
        .orders
        .iter()
        .filter(|o| accepted.contains(o["orderId"].as_str().unwrap_or_default()))
        .filter(|o| matches!(o["status"].as_str(), Some("COMPLETED" | "FAILED")))
        .count();
    let notes = snap
        .notifications
        .keys()
        .filter(|(id, _)| accepted.contains(id))
        .count();
    terminal == accepted.len() && notes >= 2 * accepted.len()
}

pub async fn run(cli: &Cli) -> Result<Summary, BoxError> {
    let host = match &cli.url {
        Some(url) => {
            let key = cli.api_key.as_deref().ok_or("--url needs --api-key")?;
            Host::at(url, key).await?
        }
        None => {
            let binary = match &cli.local_binary {
                Some(b) => b.clone(),
                None => local_binary()?,
            };
            let scarce = cli.scarce_stock.unwrap_or(cli.orders as u64 * 15 / 100);
            Host::spawn(&binary, &initial_stock(scarce), cli.saga_concurrency).await?
        }
    };
    let mut c = Conn::new(host.addr, &host.key);
    let before = stock_before(&mut c).await?;
    let t0 = Instant::now();
    let (sent, tally) = load(cli, host.addr, &host.key).await;
    let load_secs = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let bound = Duration::from_secs(cli.settle_timeout);
    let mut snap = snapshot(&mut c).await?;
    while !settled(&snap, &tally.accepted) && t1.elapsed() < bound {
        tokio::time::sleep(Duration::from_millis(250)).await;
        snap = snapshot(&mut c).await?;
    }
    let settle_secs = t1.elapsed().as_secs_f64();
    let report = check(&snap, &tally.accepted, &before);
    host.stop().await;
    Ok(Summary {
        sent,
        tally,
        report,
        load_secs,
        settle_secs,
    })
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

impl Summary {
    pub fn ok(&self) -> bool {
        self.report.violations.is_empty()
            && self.tally.busy_without_retry_after == 0
            && self.tally.refused.is_empty()
            && !self.tally.accepted.is_empty()
    }

    pub fn to_json(&self) -> Value {
        let mut lat = self.tally.latencies.clone();
        lat.sort_unstable();
        let r = &self.report;
        json!({
            "sent": self.sent,
            "accepted": self.tally.accepted.len(),
            "terminal": r.terminal,
            "lost": r.count(Kind::Lost),
            "doubleCharged": r.count(Kind::DoubleCharged),
            "stockViolations": r.count(Kind::Stock),
            "otherViolations": r.count(Kind::Outcome) + r.count(Kind::Notification)
                + r.count(Kind::Execution),
            "busy503": self.tally.busy,
            "busy503WithoutRetryAfter": self.tally.busy_without_retry_after,
            "refused": self.tally.refused,
            "postOrdersP50Ms": percentile(&lat, 0.50),
            "postOrdersP99Ms": percentile(&lat, 0.99),
            "postOrdersMaxMs": percentile(&lat, 1.0),
            "loadSeconds": (self.load_secs * 100.0).round() / 100.0,
            "settleSeconds": (self.settle_secs * 100.0).round() / 100.0,
            "createsPerSecond": (self.sent as f64 / self.load_secs.max(1e-9)).round(),
            "outcomes": r.outcomes,
        })
    }

    pub fn print(&self) {
        let j = self.to_json();
        println!("{:<28} {:>10}", "measure", "value");
        for (name, v) in j.as_object().into_iter().flatten() {
            if !v.is_object() {
                println!("{name:<28} {v:>10}");
            }
        }
        for (outcome, n) in &self.report.outcomes {
            println!("  {outcome:<26} {n:>10}");
        }
        for v in self.report.violations.iter().take(20) {
            println!("VIOLATION {:?}: {}", v.kind, v.detail);
        }
        println!("{j}");
    }
}
