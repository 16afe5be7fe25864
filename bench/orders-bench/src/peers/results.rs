//! peers.json (everything the comparison measured) and cold-starts.json
//! (per function and CPU share, the summaries the cost model reads).

use serde::{Deserialize, Serialize};

use super::subjects::Kind;
use crate::stats::Summary;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeersResults {
    /// `moto <endpoint>`, or `DynamoDB Local <endpoint> (other services: moto <endpoint>)`.
    pub backend: String,
    pub rounds: usize,
    /// Warm invocations after each cold start's first.
    pub warm_invokes: usize,
    pub profiles: Vec<ProfileResult>,
    /// Why a CPU-share profile was not run, if one was asked for.
    #[serde(default)]
    pub skipped: Vec<String>,
}

/// One CPU share: the machine's full CPUs, or a cgroup quota.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileResult {
    /// `full CPU` or `128 MB`.
    pub profile: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` given to the functions.
    pub memory_mb: u32,
    /// CPU per period (`cgroup::PERIOD_US`) under the quota, µs (`None`: no quota).
    pub quota_us: Option<u64>,
    /// How the quota was applied.
    pub quota: Option<String>,
    pub subjects: Vec<SubjectResult>,
    pub ratios: Vec<Ratio>,
    /// Per subject run both ways: what share of its figure TLS is,
    /// `(over TLS - plain) / over TLS` per round, summarised.
    #[serde(default)]
    pub tls_shares: Vec<Ratio>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubjectResult {
    pub name: String,
    pub kind: Kind,
    /// Ran over TLS (a twin, or the HTTPS floor).
    #[serde(default)]
    pub tls: bool,
    pub runs: Vec<Run>,
    pub failures: Vec<String>,
    pub init: Option<Summary>,
    pub first_response: Option<Summary>,
    /// Every warm invocation of every run.
    pub warm: Option<Summary>,
    /// Peak RSS (VmHWM) after the warm invocations, kB.
    pub rss_peak_kb: Option<Summary>,
    /// CPU time (all threads) from spawn to the first response, ms.
    pub cpu_ms: Option<Summary>,
    /// CPU time (all threads) per warm invocation, ms, one per run.
    #[serde(default)]
    pub warm_cpu_ms: Option<Summary>,
}

impl SubjectResult {
    /// `runs` of a subject, not summarised yet.
    pub fn new(name: impl Into<String>, kind: Kind, runs: Vec<Run>) -> Self {
        Self {
            name: name.into(),
            kind,
            tls: false,
            runs,
            failures: Vec::new(),
            init: None,
            first_response: None,
            warm: None,
            rss_peak_kb: None,
            cpu_ms: None,
            warm_cpu_ms: None,
        }
    }
}

/// One cold start and its warm invocations.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    pub round: usize,
    /// Spawn to the first `GET /runtime/invocation/next`.
    pub init_ms: f64,
    /// Spawn to the first response posted.
    pub first_response_ms: f64,
    pub warm_ms: Vec<f64>,
    pub rss_peak_kb: Option<u64>,
    pub cpu_ms: Option<f64>,
    /// CPU time per warm invocation (after the first response), ms.
    #[serde(default)]
    pub warm_cpu_ms: Option<f64>,
    /// The first response's status (`201`, `ok`).
    pub status: String,
}

/// `numerator / denominator` of one figure, per round (the two ran in the
/// same round, minutes apart at most), summarised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ratio {
    pub figure: String,
    pub numerator: String,
    pub denominator: String,
    pub per_round: Option<Summary>,
}

impl ProfileResult {
    pub fn subject(&self, name: &str) -> Option<&SubjectResult> {
        self.subjects.iter().find(|s| s.name == name)
    }

    pub fn ratio(&self, figure: &str, numerator: &str, denominator: &str) -> Option<&Summary> {
        self.ratios
            .iter()
            .find(|r| {
                r.figure == figure && r.numerator == numerator && r.denominator == denominator
            })
            .and_then(|r| r.per_round.as_ref())
    }
}

/// cold-starts.json: per CPU share and function, the medians and p90s.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdStarts {
    pub source: String,
    pub profiles: Vec<ColdStartProfile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdStartProfile {
    pub profile: String,
    pub memory_mb: u32,
    pub quota_us: Option<u64>,
    pub functions: Vec<ColdStartFigures>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdStartFigures {
    pub name: String,
    pub kind: Kind,
    pub init_ms: Option<Summary>,
    pub first_response_ms: Option<Summary>,
    pub warm_ms: Option<Summary>,
    pub rss_peak_kb: Option<Summary>,
    pub cpu_ms: Option<Summary>,
    #[serde(default)]
    pub warm_cpu_ms: Option<Summary>,
}

impl ColdStarts {
    /// The same, saying which commit and when (the copy committed for
    /// scripts/cost.py).
    pub fn made_at(mut self, commit: &str, date: &str) -> Self {
        self.source = format!("{} at commit {commit}, {date}", self.source);
        self
    }

    pub fn of(r: &PeersResults) -> Self {
        Self {
            source: "orders-bench peers (scripts/bench.sh --only peers)".into(),
            profiles: r
                .profiles
                .iter()
                .map(|p| ColdStartProfile {
                    profile: p.profile.clone(),
                    memory_mb: p.memory_mb,
                    quota_us: p.quota_us,
                    functions: p
                        .subjects
                        .iter()
                        .map(|s| ColdStartFigures {
                            name: s.name.clone(),
                            kind: s.kind,
                            init_ms: s.init.clone(),
                            first_response_ms: s.first_response.clone(),
                            warm_ms: s.warm.clone(),
                            rss_peak_kb: s.rss_peak_kb.clone(),
                            cpu_ms: s.cpu_ms.clone(),
                            warm_cpu_ms: s.warm_cpu_ms.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
