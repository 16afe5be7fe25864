//! What every request needs: the store, the API key, CORS
//! and the timeouts.

use crate::config::{load_or_create_api_key, Config, Timeouts};
use crate::pipeline::saga_options;
use crate::saga::saga_executor_with_faults;
use orders_core::inventory::StockFile;
use orders_core::ports::StockAdmin;
use orders_http::Cors;
use orders_local_sfn::Executor;
use orders_sqlite::SqliteStore;
use std::sync::Arc;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<SqliteStore>,
    pub(crate) executor: Executor,
    pub(crate) api_key: Arc<str>,
    pub(crate) cors: Arc<Cors>,
    pub(crate) timeouts: Timeouts,
}

impl AppState {
    /// Opens the store, seeds its stock at first start and settles the API key.
    pub async fn open(config: &Config) -> Result<Self, BoxError> {
        if let Some(dir) = config.db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let store = crate::open_store(&config.db)?;
        let api_key = match &config.api_key {
            Some(k) if !k.trim().is_empty() => k.trim().to_string(),
            _ => load_or_create_api_key(&config.db)?,
        };
        let stock = match &config.stock_file {
            Some(path) => StockFile::parse(&std::fs::read_to_string(path)?)
                .map_err(|e| format!("{}: {e}", path.display()))?,
            None => crate::config::seed_stock(),
        };
        seed_stock_once(&store, &stock).await?;
        // Faults belong to the pipeline: without it the executor runs nothing.
        let faults = config
            .pipeline
            .as_ref()
            .map(|p| p.faults.clone())
            .unwrap_or_default();
        let executor =
            saga_executor_with_faults(&store, saga_options(config.pipeline.as_ref()), &faults)?;
        let mut state = Self::new(
            store,
            executor,
            api_key,
            Cors::parse(&config.allowed_origins),
        )?;
        state.timeouts = config.timeouts;
        Ok(state)
    }

    /// With the default timeouts.
    pub fn new(
        store: SqliteStore,
        executor: Executor,
        api_key: String,
        cors: Cors,
    ) -> Result<Self, BoxError> {
        Ok(Self {
            executor,
            store: Arc::new(store),
            api_key: api_key.into(),
            cors: Arc::new(cors),
            timeouts: Timeouts::default(),
        })
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }

    /// The saga's executor (the pipeline runs it; `/local/executions` reads it).
    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    /// Constant-time comparison of a given key with the host's.
    pub(crate) fn api_key_matches(&self, given: &[u8]) -> bool {
        let key = self.api_key.as_bytes();
        given.len() == key.len()
            && given.iter().zip(key).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Seeds `stock` when the store has no stock record at all (its first start),
/// so the example orders (README's "Try it", docs/api-users.md) complete;
/// later starts, and stock set with `orders-admin stock`, are left alone.
async fn seed_stock_once(store: &SqliteStore, stock: &StockFile) -> Result<(), BoxError> {
    if !store.list_stock(None, 1).await?.is_empty() {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let mut seeded = 0;
    for item in &stock.items {
        seeded += usize::from(store.seed_stock(&item.sku, item.quantity, now).await?);
    }
    tracing::info!(skus = seeded, "stock seeded");
    Ok(())
}
