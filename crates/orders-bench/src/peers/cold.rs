//! One cold start of a subject: spawn with its event queued, the first
//! response, then warm invocations; peak RSS and CPU time from /proc.

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
    Runner {
        binary: subject.program.clone(),
        args: subject.args.clone(),
        name: subject.name.clone(),
        memory_mb: c.memory_mb,
        cgroup_procs: c.cgroup_procs.clone(),
        endpoint: c.endpoint.to_string(),
        extra_env: c.extra_env.to_vec(),
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
    stop(&mut cold.child).await;
    let (status, warm_ms) = outcome?;
    Ok(Run {
        round,
        init_ms: cold.init_ms,
        first_response_ms: cold.first_response_ms,
        warm_ms,
        rss_peak_kb,
        cpu_ms,
        status,
    })
}
