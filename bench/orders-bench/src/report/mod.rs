//! `orders-bench report`: the summary against the targets, and the generated
//! section of docs/benchmarks.md (between the markers; the rest of the file
//! is prose kept by hand).
//!
//! * [`zip`]: zip.json, which scripts/bench.sh writes.
//! * [`targets`]: the targets and a verdict per figure.
//! * [`console`]: what is printed.
//! * [`machine`], [`markdown`] and [`doc`]: the generated section and where
//!   it goes.

mod console;
mod doc;
mod machine;
mod markdown;
mod peers;
#[cfg(test)]
mod sample;
mod targets;
mod zip;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::drain::DrainResults;
use crate::lambda::LambdaResults;
use crate::local::LocalResults;
use crate::peers::{ColdStarts, PeersResults};
use crate::Result;
use zip::ZipResults;

#[derive(clap::Args)]
pub struct Args {
    /// Where lambda.json, zip.json, local.json, drain.json and peers.json are.
    #[arg(long, default_value_os_t = crate::default_results_dir())]
    results: PathBuf,
    /// The document whose generated section is rewritten.
    #[arg(long, default_value = "docs/benchmarks.md")]
    doc: PathBuf,
    /// Where the peers' summaries (cold-starts.json) go for scripts/cost.py,
    /// with the document (not with --no-write): the Node peer's measured CPU.
    #[arg(long, default_value = "docs/cost")]
    cost_dir: PathBuf,
    /// Print only; leave the document alone.
    #[arg(long)]
    no_write: bool,
}

/// Whatever steps of scripts/bench.sh left results.
#[derive(Debug, Default)]
pub struct Results {
    pub lambda: Option<LambdaResults>,
    pub zip: Option<ZipResults>,
    pub local: Option<LocalResults>,
    pub drained: Option<DrainResults>,
    pub peers: Option<PeersResults>,
}

impl Results {
    /// lambda.json, zip.json, local.json and drain.json from `dir`, each
    /// optional.
    fn read(dir: &Path) -> Result<Self> {
        Ok(Self {
            lambda: read_json(&dir.join("lambda.json"))?,
            zip: read_json(&dir.join("zip.json"))?,
            local: read_json(&dir.join("local.json"))?,
            drained: read_json(&dir.join("drain.json"))?,
            peers: read_json(&dir.join("peers.json"))?,
        })
    }

    fn is_empty(&self) -> bool {
        !self.has_main() && self.peers.is_none()
    }

    /// Whether a step of the main Figures section left results.
    fn has_main(&self) -> bool {
        self.lambda.is_some()
            || self.zip.is_some()
            || self.local.is_some()
            || self.drained.is_some()
    }
}

/// `None` when the file does not exist.
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
    let results = Results::read(&args.results)?;
    if results.is_empty() {
        return Err(format!("no results in {}", args.results.display()).into());
    }
    console::print_tables(&results);
    let verdicts = targets::verdicts(&results);
    let mut peer_verdicts = Vec::new();
    if let Some(p) = &results.peers {
        peers::verdicts(p, &mut peer_verdicts);
    }
    print!(
        "{}",
        console::targets(&[&verdicts[..], &peer_verdicts[..]].concat())
    );

    if !args.no_write {
        let notes = fs::read_to_string(args.results.join("notes.txt")).unwrap_or_default();
        let machine = machine::Machine::this();
        // Each section is rewritten only by the steps that feed it.
        if results.has_main() {
            let section = markdown::render(&machine, &notes, &verdicts, &results);
            doc::write_section(&args.doc, &section)?;
        }
        if let Some(p) = &results.peers {
            let section = peers::document(&machine, &notes, &peer_verdicts, p);
            doc::write_between(&args.doc, doc::PEERS_BEGIN, doc::PEERS_END, &section)?;
            let extract = ColdStarts::of(p).made_at(&machine.commit, &machine.date);
            let path = crate::write_results(&args.cost_dir, "cold-starts.json", &extract)?;
            eprintln!("orders-bench: updated {}", path.display());
        }
        eprintln!("orders-bench: updated {}", args.doc.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    #[test]
    fn reads_what_is_there() {
        let scratch = ScratchDir::new("results");
        let dir = scratch.path();
        assert!(Results::read(dir).unwrap().is_empty());
        fs::write(
            dir.join("zip.json"),
            r#"{"origin":"cargo-lambda","functions":[],"error":"failed"}"#,
        )
        .unwrap();
        let r = Results::read(dir).unwrap();
        assert!(!r.is_empty());
        assert_eq!(r.zip.unwrap().error.as_deref(), Some("failed"));
        fs::write(dir.join("drain.json"), "{").unwrap();
        let err = Results::read(dir).unwrap_err().to_string();
        assert!(err.contains("drain.json"), "{err}");
    }
}
