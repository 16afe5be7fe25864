//! A Lambda-like CPU share through a cgroup CPU quota: Lambda gives a
//! function CPU in proportion to its memory, a full vCPU at 1,769 MB
//! (docs/benchmarks.md cites the source), so a 128 MB function gets
//! 128/1769 of a CPU. cgroup v1 (`/sys/fs/cgroup/cpu/<name>/cpu.cfs_quota_us`)
//! or v2 (`cpu.max`), where this process may write them (root).

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::process::Command;

/// Memory at which Lambda gives one full vCPU.
pub const FULL_VCPU_MB: u32 = 1769;
/// The CFS period the quota is spread over: 20 ms, so that even a 5 ms
/// init spans several periods at 128 MB (at Linux's default 100 ms, the
/// 7.2 ms quota of a 128 MB function would let a Rust init finish inside
/// its first period unthrottled). Lambda does not publish its period.
pub const PERIOD_US: u64 = 20_000;

/// The CPU time per period of a function with `memory_mb`.
pub fn quota_us(memory_mb: u32, period_us: u64) -> u64 {
    (period_us * u64::from(memory_mb)).div_ceil(u64::from(FULL_VCPU_MB))
}

/// A cgroup with a CPU quota; removed on drop (once its processes are gone).
pub struct CpuQuota {
    dir: PathBuf,
    /// `cgroup.procs`, open for writing: see [`join_before_exec`].
    pub procs: Arc<File>,
    pub quota_us: u64,
    /// `cgroup v1 cpu.cfs_quota_us` or `cgroup v2 cpu.max`.
    pub how: &'static str,
}

impl CpuQuota {
    /// A cgroup `orders-bench-<mb>mb` with the share of `memory_mb`, or why
    /// the machine does not allow it.
    pub fn create(memory_mb: u32) -> Result<Self, String> {
        let name = format!("orders-bench-{memory_mb}mb");
        let quota = quota_us(memory_mb, PERIOD_US);
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        let v2 = Path::new("/sys/fs/cgroup");
        let (dir, how) = if v1.join("cpu.cfs_quota_us").exists() {
            let dir = v1.join(&name);
            make_dir(&dir)?;
            write(&dir.join("cpu.cfs_period_us"), &PERIOD_US.to_string())?;
            write(&dir.join("cpu.cfs_quota_us"), &quota.to_string())?;
            (dir, "cgroup v1 cpu.cfs_quota_us")
        } else if fs::read_to_string(v2.join("cgroup.controllers"))
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "cpu"))
        {
            let dir = v2.join(&name);
            make_dir(&dir)?;
            write(&dir.join("cpu.max"), &format!("{quota} {PERIOD_US}"))?;
            (dir, "cgroup v2 cpu.max")
        } else {
            return Err("no cgroup cpu controller (v1 or v2) on this machine".into());
        };
        let procs = OpenOptions::new()
            .write(true)
            .open(dir.join("cgroup.procs"))
            .map_err(|e| format!("{}: {e}", dir.join("cgroup.procs").display()))?;
        Ok(Self {
            dir,
            procs: Arc::new(procs),
            quota_us: quota,
            how,
        })
    }
}

impl Drop for CpuQuota {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.dir);
    }
}

fn make_dir(dir: &Path) -> Result<(), String> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

fn write(path: &Path, value: &str) -> Result<(), String> {
    fs::write(path, value).map_err(|e| format!("{}: {e}", path.display()))
}

/// The child writes `0` (itself) into `procs` between fork and exec, so it
/// runs in the cgroup from its first instruction.
pub fn join_before_exec(cmd: &mut Command, procs: Arc<File>) {
    // SAFETY: the closure only makes one write(2) on an open descriptor: no
    // allocation, no lock, async-signal-safe.
    unsafe {
        cmd.pre_exec(move || (&*procs).write_all(b"0"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_proportional_to_memory() {
        assert_eq!(quota_us(1769, PERIOD_US), 20_000);
        // 128/1769 of 20 ms = 1.4471 ms, rounded up.
        assert_eq!(quota_us(128, PERIOD_US), 1_448);
        assert_eq!(quota_us(256, PERIOD_US), 2_895);
        assert_eq!(quota_us(3538, PERIOD_US), 40_000);
        assert_eq!(quota_us(128, 100_000), 7_236);
    }
}
