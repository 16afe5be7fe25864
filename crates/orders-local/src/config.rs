//! What the host needs to start, and the API-key file next to the database.

use crate::pipeline::PipelineConfig;
use orders_core::inventory::StockFile;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Stage name in the events the host builds.
pub const STAGE: &str = "local";
/// Default allowed browser origins.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://localhost:3000,http://127.0.0.1:3000";
/// The stock the local host starts with when no stock file is given: the
/// repository's seed, built in so the binary runs from anywhere.
pub const SEED_STOCK: &str = include_str!("../../../contracts/stock/seed.json");

/// [`SEED_STOCK`], parsed.
pub fn seed_stock() -> StockFile {
    StockFile::parse(SEED_STOCK).expect("contracts/stock/seed.json is a stock file")
}

/// File next to the database that keeps a generated API key.
pub const API_KEY_FILE: &str = "api-key";

/// What the host needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite file (created with its directory if missing).
    pub db: PathBuf,
    /// The API key; `None`: the one kept next to the database, generated on
    /// first start.
    pub api_key: Option<String>,
    /// Comma-separated allowed origins (`*` for any).
    pub allowed_origins: String,
    /// The asynchronous pipeline; `None` serves the API only (orders wait
    /// in the outbox until a host with the pipeline runs).
    pub pipeline: Option<PipelineConfig>,
    /// How long a client may take to send a request.
    pub timeouts: Timeouts,
    /// The stock file seeded at first start; `None`: contracts/stock/seed.json.
    pub stock_file: Option<PathBuf>,
}

impl Config {
    pub fn new(db: impl Into<PathBuf>) -> Self {
        Self {
            db: db.into(),
            api_key: None,
            allowed_origins: DEFAULT_ALLOWED_ORIGINS.to_string(),
            pipeline: Some(PipelineConfig::default()),
            timeouts: Timeouts::default(),
            stock_file: None,
        }
    }
}

/// Limits on slow or silent clients, so none holds a connection open for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the moment the host waits for a request (a new connection, or a
    /// keep-alive one after its last response) until the request's headers
    /// are complete. Past it the connection is closed, so it is the
    /// keep-alive idle timeout too.
    pub header_read: Duration,
    /// From the end of the headers until the whole body is in; past it the
    /// answer is 408 and the connection closes.
    pub body_read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(10),
        }
    }
}

/// The key kept in `api-key` next to the database, created (random, 256
/// bits, owner-only file) when there is none.
pub fn load_or_create_api_key(db: &Path) -> std::io::Result<String> {
    let file = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(API_KEY_FILE);
    match std::fs::read_to_string(&file) {
        Ok(k) if !k.trim().is_empty() => return Ok(k.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts.open(&file)?;
    writeln!(f, "{key}")?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_a_stock_file() {
        assert!(!seed_stock().items.is_empty());
    }

    #[test]
    fn api_key_file_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("orders.db");
        let a = load_or_create_api_key(&db).unwrap();
        let b = load_or_create_api_key(&db).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }
}
