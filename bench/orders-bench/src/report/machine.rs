//! The machine the figures were taken on, for the generated section.

use std::fs;
use std::process::Command;

use crate::procfs;

pub struct Machine {
    pub date: String,
    pub commit: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub kernel: String,
    pub mem_gib: f64,
    pub rustc: String,
}

impl Machine {
    /// This machine and checkout now (`unknown` for what cannot be read).
    pub fn this() -> Self {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let mut commit = command_line("git", &["rev-parse", "--short", "HEAD"]);
        if !command_line("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty() {
            commit.push_str(" + uncommitted changes");
        }
        Self {
            date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            commit,
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model: cpu_model(&cpuinfo),
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or("unknown".into(), |s| s.trim().to_string()),
            mem_gib: procfs::mem_total_kb().map_or(0.0, |kb| kb as f64 / 1024.0 / 1024.0),
            rustc: command_line("rustc", &["--version"]),
        }
    }
}

/// The first `model name` of `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".into(), |(_, m)| m.trim().to_string())
}

/// The trimmed stdout of a command that succeeded, else `unknown`.
fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_line() {
        let info = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n";
        assert_eq!(cpu_model(info), "Intel(R) Xeon(R) CPU @ 2.20GHz");
        assert_eq!(cpu_model("processor : 0\n"), "unknown");
    }

    #[test]
    fn commands_that_fail_are_unknown() {
        assert_eq!(command_line("sh", &["-c", "echo ' x '"]), "x");
        assert_eq!(command_line("sh", &["-c", "exit 1"]), "unknown");
        assert_eq!(command_line("/nonexistent/program", &[]), "unknown");
    }
}
