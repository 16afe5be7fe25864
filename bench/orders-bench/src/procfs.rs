//! Figures Linux publishes under `/proc`: a process's peak resident set size
//! and the machine's memory.

use std::fs;

/// Peak resident set size (`VmHWM`) of a live process, kB.
pub fn vm_hwm_kb(pid: u32) -> Option<u64> {
    kb_field(
        &fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        "VmHWM:",
    )
}

/// CPU time of every live thread of a process, ms: the sum of each
/// `/proc/<pid>/task/<tid>/sched`'s `se.sum_exec_runtime` (ns precision,
/// where `/proc/<pid>/stat` counts 10 ms ticks). Threads that have exited
/// are not counted.
pub fn cpu_ms(pid: u32) -> Option<f64> {
    let tasks = fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0.0;
    let mut any = false;
    for task in tasks.flatten() {
        if let Some(ms) = fs::read_to_string(task.path().join("sched"))
            .ok()
            .as_deref()
            .and_then(sum_exec_runtime_ms)
        {
            total += ms;
            any = true;
        }
    }
    any.then_some(total)
}

/// `se.sum_exec_runtime` (ms) of a `sched` file.
fn sum_exec_runtime_ms(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("se.sum_exec_runtime"))
        .and_then(|v| v.trim().trim_start_matches(':').trim().parse().ok())
}

/// `MemTotal` of `/proc/meminfo`, kB.
pub fn mem_total_kb() -> Option<u64> {
    kb_field(&fs::read_to_string("/proc/meminfo").ok()?, "MemTotal:")
}

/// The value of a `Key:   1234 kB` line (the format of `/proc/*/status` and
/// `/proc/meminfo`).
fn kb_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kb_fields() {
        let status =
            "Name:\tcreate-order\nVmPeak:\t  20480 kB\nVmHWM:\t    7316 kB\nVmRSS:\t 7000 kB\n";
        assert_eq!(kb_field(status, "VmHWM:"), Some(7316));
        assert_eq!(kb_field(status, "VmPeak:"), Some(20480));
        assert_eq!(kb_field(status, "VmSwap:"), None);
        assert_eq!(kb_field("VmHWM:\tlots kB\n", "VmHWM:"), None);
    }

    #[test]
    fn reads_sched_runtime() {
        let sched = "head (25202, #threads: 1)\n----\nse.exec_start    :  667934.427417\nse.sum_exec_runtime      :     0.857663\nnr_switches : 1\n";
        assert_eq!(sum_exec_runtime_ms(sched), Some(0.857663));
        assert_eq!(sum_exec_runtime_ms("nr_switches : 1\n"), None);
        let spent = cpu_ms(std::process::id()).expect("CPU time of a live process");
        assert!(spent > 0.0);
    }

    #[test]
    fn reads_this_process() {
        let own = vm_hwm_kb(std::process::id()).expect("VmHWM of a live process");
        assert!(own > 0);
        assert!(mem_total_kb().expect("MemTotal") > own);
    }
}
