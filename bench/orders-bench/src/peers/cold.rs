//! One cold start of a subject: spawn with its event queued, the first
//! response, then warm invocations; peak RSS and CPU time from /proc (to
//! the first response, and per warm invocation).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::results::Run;
use super::subjects::{check, Subject};
use crate::lambda::runner::{stop, Runner};
use crate::procfs;
use crate::Result;

/// How one profile runs its subjects.
pub struct Conditions<'a> {
    pub endpoint: &'a str,
    pub extra_env: &'a [(String, String)],
    /// The TLS endpoint in front of `endpoint`, and what the subjects that
    /// run over TLS get in their environment to trust its CA.
    pub tls: Option<(&'a str, &'a [(String, String)])>,
    pub memory_mb: u32,
    pub cgroup_procs: Option<Arc<std::fs::File>>,
    pub log_dir: &'a Path,
    pub warm_invokes: usize,
    pub timeout: Duration,
    /// Pause before each spawn: under a quota, two periods, so no run
    /// starts in a period the one before used up.
    pub settle: Duration,
}

/// The runner of `subject` under `c`.
pub fn runner(subject: &Subject, c: &Conditions<'_>) -> Runner {
    let (endpoint, tls_env) = match c.tls {
        Some((endpoint, env)) if subject.tls => (endpoint, env),
        _ => (c.endpoint, &[][..]),
    };
    Runner {
        binary: subject.program.clone(),
        args: subject.args.clone(),
        name: subject.name.clone(),
        memory_mb: c.memory_mb,
        cgroup_procs: c.cgroup_procs.clone(),
        endpoint: endpoint.to_string(),
        extra_env: c.extra_env.iter().chain(tls_env).cloned().collect(),
        log_path: c.log_dir.join(format!("{}.log", subject.name)),
        init_timeout: c.timeout,
    }
}

/// One cold start, checked; the process is stopped before this returns.
pub async fn once(subject: &Subject, c: &Conditions<'_>, round: usize) -> Result<Run> {
    let runner = runner(subject, c);
    tokio::time::sleep(c.settle).await;
    let mut cold = runner.cold_invoke(subject.event.clone(), c.timeout).await?;
    let pid = cold.child.id();
    let cpu_ms = pid.and_then(procfs::cpu_ms);
    let outcome = async {
        let status = check(&subject.expect, &cold.first)?;
        let mut warm_ms = Vec::with_capacity(c.warm_invokes);
        for _ in 0..c.warm_invokes {
            let (outcome, took) = cold
                .emu
                .invoke(subject.event.clone(), c.timeout)
                .await
                .map_err(|e| e.to_string())?;
            check(&subject.expect, &outcome).map_err(|e| format!("warm: {e}"))?;
            warm_ms.push(took.as_secs_f64() * 1e3);
        }
        Ok::<_, String>((status, warm_ms))
    }
    .await;
    let rss_peak_kb = pid.and_then(procfs::vm_hwm_kb);
    let warm_cpu_ms = per_warm_invoke(cpu_ms, pid.and_then(procfs::cpu_ms), c.warm_invokes);
    stop(&mut cold.child).await;
    let (status, warm_ms) = outcome?;
    Ok(Run {
        round,
        init_ms: cold.init_ms,
        first_response_ms: cold.first_response_ms,
        warm_ms,
        rss_peak_kb,
        cpu_ms,
        warm_cpu_ms,
        status,
    })
}

/// CPU per warm invocation: what the process spent after its first
/// response (`at_first`) until after the warm invocations (`after_warm`).
fn per_warm_invoke(at_first: Option<f64>, after_warm: Option<f64>, invokes: usize) -> Option<f64> {
    let spent = after_warm? - at_first?;
    (invokes > 0).then(|| spent.max(0.0) / invokes as f64)
}

#[cfg(test)]
mod tests {
    use super::per_warm_invoke;

    #[test]
    fn warm_cpu_is_spread_over_the_warm_invocations() {
        assert_eq!(per_warm_invoke(Some(4.0), Some(10.0), 3), Some(2.0));
        assert_eq!(per_warm_invoke(Some(4.0), Some(10.0), 0), None);
        assert_eq!(per_warm_invoke(None, Some(10.0), 3), None);
        assert_eq!(per_warm_invoke(Some(4.0), None, 3), None);
    }
}
