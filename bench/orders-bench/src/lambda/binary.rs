//! Locating a function binary: its absolute path (the function runs with
//! `LAMBDA_TASK_ROOT` as its directory), name and size.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;

pub struct FunctionBinary {
    /// Canonical path.
    pub path: PathBuf,
    /// The file name, which is the function's name (`create-order`).
    pub name: String,
    pub bytes: u64,
}

impl FunctionBinary {
    pub fn locate(path: &Path) -> Result<Self> {
        let path = fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or("binary path without a file name")?
            .to_string();
        let bytes = fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        Ok(Self { path, name, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    #[test]
    fn names_a_binary_after_its_file() {
        let scratch = ScratchDir::new("bin");
        let dir = scratch.path();
        let file = dir.join("get-order");
        fs::write(&file, b"\x7fELF-ish").unwrap();
        let b = FunctionBinary::locate(&dir.join(".").join("get-order")).unwrap();
        assert_eq!(b.name, "get-order");
        assert_eq!(b.bytes, 8);
        assert!(b.path.is_absolute());
        assert_eq!(b.path, fs::canonicalize(&file).unwrap());
        let missing = FunctionBinary::locate(&dir.join("nope")).err().unwrap();
        assert!(missing.to_string().contains("nope"));
    }
}
