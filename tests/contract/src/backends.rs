//! Fresh, empty stores for each backend.

use aws_sdk_dynamodb::Client;
use orders_dynamodb::{AwsEnv, DynamoStore};
use orders_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// Endpoint of an AWS-compatible DynamoDB (moto, DynamoDB Local).
pub const ENDPOINT_ENV: &str = "ORDERS_TEST_DYNAMODB_ENDPOINT";
/// Set to `1` to make a missing endpoint a failure instead of a skip.
pub const REQUIRE_ENV: &str = "ORDERS_REQUIRE_DYNAMODB";

static SEQ: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::now_v7().simple()
    )
}

pub fn sqlite_memory() -> SqliteStore {
    SqliteStore::in_memory().expect("in-memory sqlite")
}

/// A fresh database file under the temp dir (removed with [`TempDb`]).
pub struct TempDb {
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", unique("orders-contract")));
        Self { path }
    }
}

impl Default for TempDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The endpoint from the environment, or `None` after printing why the
/// DynamoDB tests are skipped. Panics when `ORDERS_REQUIRE_DYNAMODB=1` and
/// no endpoint is set, or when the endpoint is not on loopback.
pub fn dynamodb_endpoint(test: &str) -> Option<String> {
    match std::env::var(ENDPOINT_ENV) {
        Ok(e) if !e.trim().is_empty() => {
            let e = e.trim().trim_end_matches('/').to_string();
            assert!(
                is_loopback(&e),
                "{ENDPOINT_ENV}={e} is not a loopback URL; tests never talk to anything else"
            );
            Some(e)
        }
        _ => {
            if std::env::var(REQUIRE_ENV).as_deref() == Ok("1") {
                panic!("{REQUIRE_ENV}=1 but {ENDPOINT_ENV} is not set (start one with scripts/moto.sh start)");
            }
            eprintln!("{test}: skipped: no endpoint ({ENDPOINT_ENV} is not set)");
            None
        }
    }
}

fn is_loopback(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host_port = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A client for `endpoint` with static test credentials; nothing is read
/// from the environment or profile files.
pub fn dynamodb_client(endpoint: &str) -> Client {
    orders_dynamodb::client(&AwsEnv::new("us-east-1", "test", "test").with_endpoint(endpoint))
}

/// A DynamoStore on its own, new table, or `None` when skipped.
pub async fn dynamodb(test: &str) -> Option<DynamoStore> {
    let endpoint = dynamodb_endpoint(test)?;
    let client = dynamodb_client(&endpoint);
    let table = unique("orders-contract");
    orders_dynamodb::create_table(&client, &table)
        .await
        .unwrap_or_else(|e| panic!("creating table {table} on {endpoint}: {e}"));
    Some(DynamoStore::new(client, table))
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_loopback_endpoints() {
        assert!(is_loopback("http://127.0.0.1:5000"));
        assert!(is_loopback("http://localhost:8000/"));
        assert!(is_loopback("http://[::1]:8000"));
        assert!(!is_loopback("https://dynamodb.us-east-1.amazonaws.com"));
        assert!(!is_loopback("http://10.0.0.1:8000"));
    }
}
