//! zip.json: the arm64 deployment packages, measured by scripts/bench.sh
//! (from cdk.out or `cargo lambda build --arm64`).

use serde::Deserialize;

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
