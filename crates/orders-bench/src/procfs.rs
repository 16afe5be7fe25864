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
    fn reads_this_process() {
        let own = vm_hwm_kb(std::process::id()).expect("VmHWM of a live process");
        assert!(own > 0);
        assert!(mem_total_kb().expect("MemTotal") > own);
    }
}
