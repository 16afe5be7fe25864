//! Summary against the targets, and the generated section of
//! docs/benchmarks.md (between the markers; the rest of the file is prose
//! kept by hand).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::drain::{self, DrainResults};
use crate::lambda::{self, LambdaResults};
use crate::local::{self, LocalResults};
use crate::Result;

pub const BEGIN: &str = "<!-- BEGIN GENERATED FIGURES (scripts/bench.sh) -->";
pub const END: &str = "<!-- END GENERATED FIGURES -->";

const INIT_TARGET_MS: f64 = 10.0;
const ZIP_TARGET_BYTES: u64 = 3_000_000;
const RSS_TARGET_KB: u64 = 32 * 1024;
const RPS_TARGET: f64 = 2_000.0;
const P99_TARGET_MS: f64 = 20.0;
const DRAIN_TARGET_PER_S: f64 = 1_000.0;

#[derive(clap::Args)]
pub struct Args {
    /// Where lambda.json, zip.json, local.json and drain.json are.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    results: PathBuf,
    /// The document whose generated section is rewritten.
    #[arg(long, default_value = "docs/benchmarks.md")]
    doc: PathBuf,
    /// Print only; leave the document alone.
    #[arg(long)]
    no_write: bool,
}

#[derive(Debug, Deserialize)]
pub struct ZipResults {
    /// `cdk.out` or `cargo-lambda`.
    pub origin: String,
    #[serde(default)]
    pub functions: Vec<ZipEntry>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ZipEntry {
    pub name: String,
    pub bootstrap: String,
    pub bootstrap_bytes: u64,
    pub zip_bytes: u64,
    pub machine: String,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display()).into()),
    }
}

pub fn run(args: &Args) -> Result<()> {
    let lambda: Option<LambdaResults> = read_json(&args.results.join("lambda.json"))?;
    let zip: Option<ZipResults> = read_json(&args.results.join("zip.json"))?;
    let local: Option<LocalResults> = read_json(&args.results.join("local.json"))?;
    let drained: Option<DrainResults> = read_json(&args.results.join("drain.json"))?;
    if lambda.is_none() && zip.is_none() && local.is_none() && drained.is_none() {
        return Err(format!("no results in {}", args.results.display()).into());
    }

    if let Some(l) = &lambda {
        lambda::print_table(l);
        println!();
    }
    if let Some(z) = &zip {
        print_zip(z);
        println!();
    }
    if let Some(l) = &local {
        local::print_table(l);
        println!();
    }
    if let Some(d) = &drained {
        drain::print_table(d);
        println!();
    }
    let verdicts = verdicts(
        lambda.as_ref(),
        zip.as_ref(),
        local.as_ref(),
        drained.as_ref(),
    );
    println!("Targets");
    for v in &verdicts {
        println!(
            "  {:<5} {:<44} {:<26} {}",
            v.verdict, v.figure, v.target, v.measured
        );
    }

    if !args.no_write {
        let notes = fs::read_to_string(args.results.join("notes.txt")).unwrap_or_default();
        let section = render(
            &machine(),
            &notes,
            &verdicts,
            lambda.as_ref(),
            zip.as_ref(),
            local.as_ref(),
            drained.as_ref(),
        );
        write_section(&args.doc, &section)?;
        eprintln!("orders-bench: updated {}", args.doc.display());
    }
    Ok(())
}

struct Verdict {
    figure: String,
    target: String,
    measured: String,
    verdict: &'static str,
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "MISS"
    }
}

fn verdicts(
    lambda: Option<&LambdaResults>,
    zip: Option<&ZipResults>,
    local: Option<&LocalResults>,
    drained: Option<&DrainResults>,
) -> Vec<Verdict> {
    let mut out = Vec::new();
    if let Some(l) = lambda {
        for f in &l.functions {
            out.push(match &f.init {
                Some(s) => Verdict {
                    figure: format!("init {} (x86_64 host build)", f.name),
                    target: format!("p90 <= {INIT_TARGET_MS} ms"),
                    measured: format!("p50 {:.2} ms, p90 {:.2} ms (n={})", s.median, s.p90, s.n),
                    verdict: pass(s.p90 <= INIT_TARGET_MS),
                },
                None => Verdict {
                    figure: format!("init {} (x86_64 host build)", f.name),
                    target: format!("p90 <= {INIT_TARGET_MS} ms"),
                    measured: format!(
                        "no successful init: {}",
                        f.init_failures.first().map_or("", String::as_str)
                    ),
                    verdict: "MISS",
                },
            });
        }
        for f in &l.functions {
            let rss = f.rss_peak_kb;
            out.push(Verdict {
                figure: format!("peak RSS {} after invocations", f.name),
                target: "<= 32 MiB".into(),
                measured: rss.map_or("not measured".into(), |k| {
                    format!("{:.1} MiB ({} kB)", k as f64 / 1024.0, k)
                }),
                verdict: pass(rss.is_some_and(|k| k <= RSS_TARGET_KB)),
            });
            let total = f.invocations.len();
            let ok = f.invocations_ok();
            out.push(Verdict {
                figure: format!("proxy responses {}", f.name),
                target: "all well-formed, expected status".into(),
                measured: format!("{ok}/{total}"),
                verdict: pass(total > 0 && ok == total),
            });
        }
    }
    if let Some(z) = zip {
        if let Some(e) = &z.error {
            out.push(Verdict {
                figure: "arm64 zip".into(),
                target: "<= 3 MB".into(),
                measured: format!("not measured: {e}"),
                verdict: "MISS",
            });
        }
        for f in &z.functions {
            out.push(Verdict {
                figure: format!("arm64 zip {}", f.name),
                target: "<= 3 MB (3,000,000 B)".into(),
                measured: format!("{:.2} MB ({} B)", f.zip_bytes as f64 / 1e6, f.zip_bytes),
                verdict: pass(f.zip_bytes <= ZIP_TARGET_BYTES),
            });
        }
    }
    if let Some(l) = local {
        for r in &l.runs {
            out.push(Verdict {
                figure: format!("local POST /orders, {} connections", r.connections),
                target: format!(">= {RPS_TARGET} req/s, p99 <= {P99_TARGET_MS} ms"),
                measured: format!(
                    "{:.0} req/s, p99 {:.2} ms, non-2xx {}",
                    r.requests_per_s, r.p99_ms, r.non_2xx
                ),
                verdict: pass(
                    r.requests_per_s >= RPS_TARGET && r.p99_ms <= P99_TARGET_MS && r.non_2xx == 0,
                ),
            });
        }
    }
    if let Some(d) = drained {
        out.push(Verdict {
            figure: format!("local pipeline drain, {} orders to PROCESSING", d.orders),
            target: format!(">= {DRAIN_TARGET_PER_S:.0} orders/s"),
            measured: format!(
                "{:.0} orders/s ({:.2} s); notified {:.0} orders/s",
                d.processing_per_s, d.processing_s, d.notified_per_s
            ),
            verdict: pass(d.processing_per_s >= DRAIN_TARGET_PER_S),
        });
    }
    out
}

fn print_zip(z: &ZipResults) {
    println!("arm64 packages (from {})", z.origin);
    if let Some(e) = &z.error {
        println!("  not measured: {e}");
    }
    println!(
        "{:<14} {:>12} {:>12} {:>9}  bootstrap",
        "function", "bootstrap B", "zip B", "zip MB"
    );
    for f in &z.functions {
        println!(
            "{:<14} {:>12} {:>12} {:>9.2}  {} ({})",
            f.name,
            f.bootstrap_bytes,
            f.zip_bytes,
            f.zip_bytes as f64 / 1e6,
            f.bootstrap,
            f.machine
        );
    }
}

struct Machine {
    date: String,
    commit: String,
    cpus: usize,
    cpu_model: String,
    kernel: String,
    mem_gib: f64,
    rustc: String,
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn machine() -> Machine {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".into(), |(_, m)| m.trim().to_string());
    let mem_gib = fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let mut commit = command_line("git", &["rev-parse", "--short", "HEAD"]);
    if !command_line("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        commit.push_str(" + uncommitted changes");
    }
    Machine {
        date: command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        commit,
        cpus: std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model,
        kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or("unknown".into(), |s| s.trim().to_string()),
        mem_gib,
        rustc: command_line("rustc", &["--version"]),
    }
}

fn render(
    m: &Machine,
    notes: &str,
    verdicts: &[Verdict],
    lambda: Option<&LambdaResults>,
    zip: Option<&ZipResults>,
    local: Option<&LocalResults>,
    drained: Option<&DrainResults>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Figures\n");
    let _ = writeln!(
        s,
        "_Generated by `scripts/bench.sh` on {} at commit {}; regenerate rather than edit._\n",
        m.date, m.commit
    );
    let _ = writeln!(
        s,
        "Machine: {} CPUs ({}), Linux {}, {:.1} GiB RAM; {}.\n",
        m.cpus, m.cpu_model, m.kernel, m.mem_gib, m.rustc
    );
    let notes: Vec<&str> = notes.lines().filter(|l| !l.trim().is_empty()).collect();
    if !notes.is_empty() {
        let _ = writeln!(s, "Run conditions:\n");
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "### Against the targets\n");
    let _ = writeln!(s, "| figure | target | measured | verdict |");
    let _ = writeln!(s, "| --- | --- | --- | --- |");
    for v in verdicts {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            v.figure,
            v.target,
            v.measured.replace('|', "\\|"),
            if v.verdict == "pass" {
                "pass"
            } else {
                "**MISS**"
            }
        );
    }
    if let Some(l) = lambda {
        let _ = writeln!(
            s,
            "\n### Lambda functions: cold start and memory\n\nx86_64 release build of the same code, run as Lambda runs a custom runtime \
             (Runtime API emulator on loopback, Lambda's environment, 256 MB setting). \
             Init = exec to the first `GET /runtime/invocation/next`. DynamoDB: {}.\n",
            l.backend
        );
        let _ = writeln!(
            s,
            "| function | init p50 | init p90 | init min | init max | n | RSS after init | peak RSS after invocations | binary (x86_64) |"
        );
        let _ = writeln!(
            s,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for f in &l.functions {
            let cell = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2} ms"));
            let rss =
                |k: Option<u64>| k.map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.2} MB |",
                f.name,
                cell(f.init.as_ref().map(|x| x.median)),
                cell(f.init.as_ref().map(|x| x.p90)),
                cell(f.init.as_ref().map(|x| x.min)),
                cell(f.init.as_ref().map(|x| x.max)),
                f.init_ms.len(),
                rss(f.rss_after_init_kb),
                rss(f.rss_peak_kb),
                f.binary_bytes as f64 / 1e6
            );
        }
        let _ = writeln!(s, "\nInvocations (API Gateway REST proxy events; response checked as a proxy response):\n");
        let _ = writeln!(s, "| function | event | expected | status | time | check |");
        let _ = writeln!(s, "| --- | --- | ---: | ---: | ---: | --- |");
        for f in &l.functions {
            for i in &f.invocations {
                let check = if i.ok {
                    "ok".to_string()
                } else {
                    format!(
                        "**{}**",
                        i.problems.join("; ").replace('|', "\\|").replace('\n', " ")
                    )
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:.1} ms | {} |",
                    f.name, i.label, i.expected, i.status, i.ms, check
                );
            }
            for e in &f.init_failures {
                let _ = writeln!(
                    s,
                    "| {} | init failure | | | | **{}** |",
                    f.name,
                    e.replace('|', "\\|").replace('\n', " ")
                );
            }
        }
    }
    if let Some(z) = zip {
        let _ = writeln!(s, "\n### arm64 deployment packages\n\nSource: {}. Zipped with maximum deflate (one `bootstrap` entry, as Lambda receives it).\n", z.origin);
        if let Some(e) = &z.error {
            let _ = writeln!(s, "Not measured: {e}\n");
        }
        let _ = writeln!(s, "| function | bootstrap | zip | zip (MB) |");
        let _ = writeln!(s, "| --- | ---: | ---: | ---: |");
        for f in &z.functions {
            let _ = writeln!(
                s,
                "| {} | {} B | {} B | {:.2} MB |",
                f.name,
                f.bootstrap_bytes,
                f.zip_bytes,
                f.zip_bytes as f64 / 1e6
            );
        }
    }
    if let Some(l) = local {
        let _ = writeln!(
            s,
            "\n### Local host: `POST /orders` throughput\n\n`wrk -t{} -c<conns> -d{}s --latency` on loopback against `{}` \
             (fresh SQLite database per run; wrk shares the same 2 CPUs). \
             Stored = orders `GET /orders` pages through afterwards; expected = 2xx responses wrk counted + 1 smoke-test order \
             (requests still in flight when wrk stops are stored but not counted, so stored may exceed expected by up to the connection count).\n",
            l.threads, l.duration_s, l.host_binary
        );
        let _ = writeln!(s, "| connections | requests/s | p50 | p90 | p99 | max | non-2xx | socket errors | expected | stored | host peak RSS |");
        let _ = writeln!(
            s,
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for r in &l.runs {
            let stored = match (&r.stored_orders, &r.count_error) {
                (Some(n), _) => n.to_string(),
                (None, Some(e)) => {
                    format!("count failed: {}", e.replace('|', "\\|").replace('\n', " "))
                }
                (None, None) => "-".into(),
            };
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} ms | {} | {} | {} | {} | {:.1} MiB |",
                r.connections,
                r.requests_per_s,
                r.p50_ms,
                r.p90_ms,
                r.p99_ms,
                r.max_ms,
                r.non_2xx,
                r.socket_errors,
                r.expected_orders,
                stored,
                r.host_rss_kb.unwrap_or(0) as f64 / 1024.0
            );
        }
    }
    if let Some(d) = drained {
        let _ = writeln!(
            s,
            "\n### Local host: pipeline drain\n\n{} orders accepted by `{}` with the pipeline off, then the host restarted \
             with {} processor workers: time from its start until the outbox and the processing queue are empty \
             (every order PROCESSING), and until the notifications queue is empty (every notification recorded). \
             Afterwards `GET /orders?status=PROCESSING` counted {} orders.\n",
            d.orders, d.host_binary, d.processors, d.processing_orders
        );
        let _ = writeln!(
            s,
            "| orders | to PROCESSING | orders/s | to notified | orders/s |"
        );
        let _ = writeln!(s, "| ---: | ---: | ---: | ---: | ---: |");
        let _ = writeln!(
            s,
            "| {} | {:.2} s | {:.0} | {:.2} s | {:.0} |",
            d.orders, d.processing_s, d.processing_per_s, d.notified_s, d.notified_per_s
        );
    }
    s
}

/// Replaces what lies between the markers (or appends the markers).
fn write_section(doc: &Path, section: &str) -> Result<()> {
    let current = match fs::read_to_string(doc) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Benchmarks\n\nRun `scripts/bench.sh`.\n\n".to_string()
        }
        Err(e) => return Err(e.into()),
    };
    let generated = format!("{BEGIN}\n{section}{END}");
    let updated = match (current.find(BEGIN), current.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{generated}{}", &current[..b], &current[e + END.len()..])
        }
        _ => format!("{}\n{generated}\n", current.trim_end()),
    };
    if let Some(dir) = doc.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(doc, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_generated_section() {
        let dir = std::env::temp_dir().join(format!("orders-bench-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let doc = dir.join("b.md");
        fs::write(
            &doc,
            format!("# T\n\nintro\n\n{BEGIN}\nold\n{END}\n\n## Notes\nkeep\n"),
        )
        .unwrap();
        write_section(&doc, "new\n").unwrap();
        let s = fs::read_to_string(&doc).unwrap();
        assert_eq!(
            s,
            format!("# T\n\nintro\n\n{BEGIN}\nnew\n{END}\n\n## Notes\nkeep\n")
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
