//! local.json: what `orders-bench local` measured, read again by `report`.

use serde::{Deserialize, Serialize};

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
