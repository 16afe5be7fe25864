//! Writing the generated section into docs/benchmarks.md: between the
//! markers, leaving the hand-written rest of the file alone.

use std::fs;
use std::path::Path;

use crate::Result;

pub const BEGIN: &str = "<!-- BEGIN GENERATED FIGURES (scripts/bench.sh) -->";
pub const END: &str = "<!-- END GENERATED FIGURES -->";
/// The side-by-side comparison's own section (`scripts/bench.sh --only
/// peers` rewrites it alone).
pub const PEERS_BEGIN: &str =
    "<!-- BEGIN GENERATED PEERS FIGURES (scripts/bench.sh --only peers) -->";
pub const PEERS_END: &str = "<!-- END GENERATED PEERS FIGURES -->";

/// Replaces what lies between the markers (or appends the markers).
pub fn write_section(doc: &Path, section: &str) -> Result<()> {
    write_between(doc, BEGIN, END, section)
}

/// Replaces what lies between `begin` and `end` (or appends them).
pub fn write_between(doc: &Path, begin: &str, end: &str, section: &str) -> Result<()> {
    let current = match fs::read_to_string(doc) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Benchmarks\n\nRun `scripts/bench.sh`.\n\n".to_string()
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(dir) = doc.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(doc, between(&current, begin, end, section))?;
    Ok(())
}

/// `current` with `section` between the markers.
#[cfg(test)]
fn with_section(current: &str, section: &str) -> String {
    between(current, BEGIN, END, section)
}

/// `current` with `section` between `begin` and `end`.
fn between(current: &str, begin: &str, end: &str, section: &str) -> String {
    let generated = format!("{begin}\n{section}{end}");
    match (current.find(begin), current.find(end)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{generated}{}", &current[..b], &current[e + end.len()..])
        }
        _ => format!("{}\n{generated}\n", current.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    #[test]
    fn replaces_only_the_generated_section() {
        let dir = ScratchDir::new("doc");
        let doc = dir.path().join("b.md");
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
    }

    #[test]
    fn appends_markers_when_missing_or_out_of_order() {
        assert_eq!(
            with_section("# B\n\nprose\n\n\n", "x\n"),
            format!("# B\n\nprose\n{BEGIN}\nx\n{END}\n")
        );
        let swapped = format!("# B\n{END}\n{BEGIN}\n");
        assert_eq!(
            with_section(&swapped, "x\n"),
            format!("{}\n{BEGIN}\nx\n{END}\n", swapped.trim_end())
        );
    }

    #[test]
    fn the_peers_section_is_its_own() {
        let dir = ScratchDir::new("peers-doc");
        let doc = dir.path().join("b.md");
        fs::write(&doc, format!("# T\n{BEGIN}\nmain\n{END}\n")).unwrap();
        write_between(&doc, PEERS_BEGIN, PEERS_END, "peers\n").unwrap();
        write_between(&doc, PEERS_BEGIN, PEERS_END, "peers again\n").unwrap();
        assert_eq!(
            fs::read_to_string(&doc).unwrap(),
            format!("# T\n{BEGIN}\nmain\n{END}\n{PEERS_BEGIN}\npeers again\n{PEERS_END}\n")
        );
    }

    #[test]
    fn a_missing_document_is_created() {
        let dir = ScratchDir::new("new-doc");
        let doc = dir.path().join("docs").join("benchmarks.md");
        write_section(&doc, "x\n").unwrap();
        assert_eq!(
            fs::read_to_string(&doc).unwrap(),
            format!("# Benchmarks\n\nRun `scripts/bench.sh`.\n{BEGIN}\nx\n{END}\n")
        );
    }
}
