//! lambda.json: what `orders-bench lambda` measured, read again by `report`.

use serde::{Deserialize, Serialize};

use super::binary::FunctionBinary;
use crate::stats::Summary;

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
    /// Nothing measured yet.
    pub(super) fn new(binary: &FunctionBinary) -> Self {
        Self {
            name: binary.name.clone(),
            binary: binary.path.display().to_string(),
            binary_bytes: binary.bytes,
            init_ms: Vec::new(),
            init: None,
            init_failures: Vec::new(),
            rss_after_init_kb: None,
            rss_peak_kb: None,
            invocations: Vec::new(),
        }
    }

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
