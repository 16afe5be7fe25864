//! `orders-admin stock`: the stock records of the local store or of a
//! stage's table, through the core's [`StockAdmin`] port (the same adapters
//! the saga uses).

use crate::report::plural;
use crate::{AdminError, DEFAULT_DB};
use chrono::Utc;
use clap::{Args, Subcommand};
use orders_core::inventory::{StockFile, StockFileItem, StockLevel};
use orders_core::model::format_timestamp;
use orders_core::ports::StockAdmin;
use orders_dynamodb::DynamoStore;
use orders_sqlite::SqliteStore;
use serde::Serialize;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Every SKU's available and reserved quantity.
    List(StockTarget),
    /// One SKU's record.
    Get {
        sku: String,
        #[command(flatten)]
        target: StockTarget,
    },
    /// Sets a SKU's available quantity (creating its record); reserved
    /// units stay reserved.
    Set {
        sku: String,
        quantity: u32,
        #[command(flatten)]
        target: StockTarget,
    },
    /// Sets every SKU a stock file lists (the format of
    /// contracts/stock/seed.json).
    Import {
        file: PathBuf,
        #[command(flatten)]
        target: StockTarget,
    },
}

/// Which store: the local host's SQLite file, or a stage's table.
#[derive(Debug, Clone, Args)]
pub struct StockTarget {
    /// Local: the local host's database file.
    #[arg(long, env = "ORDERS_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// AWS: the stage's orders table (selects AWS; credentials, region and
    /// endpoint from the environment).
    #[arg(long)]
    pub table: Option<String>,
}

/// What a stock command printed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StockReport {
    /// `local` or `aws`.
    pub backend: &'static str,
    /// The database file or the table.
    pub store: String,
    /// `list`, `get`, `set` or `import`.
    pub action: &'static str,
    pub items: Vec<StockLevel>,
}

/// Page size of a full listing.
const PAGE: u32 = 500;

async fn list_all<S: StockAdmin>(store: &S) -> Result<Vec<StockLevel>, AdminError> {
    let mut all: Vec<StockLevel> = Vec::new();
    loop {
        let page = store
            .list_stock(all.last().map(|l| l.sku.as_str()), PAGE)
            .await?;
        let done = page.len() < PAGE as usize;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

async fn run_on<S: StockAdmin>(
    store: &S,
    command: StockCommand,
) -> Result<(&'static str, Vec<StockLevel>), AdminError> {
    Ok(match command {
        StockCommand::List(_) => ("list", list_all(store).await?),
        StockCommand::Get { sku, .. } => match store.get_stock(&sku).await? {
            Some(level) => ("get", vec![level]),
            None => return Err(AdminError::Usage(format!("no stock record for SKU {sku}"))),
        },
        StockCommand::Set { sku, quantity, .. } => {
            check_sku(&sku)?;
            (
                "set",
                vec![store.set_stock(&sku, quantity, Utc::now()).await?],
            )
        }
        StockCommand::Import { file, .. } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| AdminError::Usage(format!("cannot read {}: {e}", file.display())))?;
            let stock = StockFile::parse(&text)
                .map_err(|e| AdminError::Usage(format!("{}: {e}", file.display())))?;
            let at = Utc::now();
            let mut set = Vec::with_capacity(stock.items.len());
            for item in &stock.items {
                set.push(store.set_stock(&item.sku, item.quantity, at).await?);
            }
            ("import", set)
        }
    })
}

/// The rule stock files follow, for a SKU typed on the command line.
fn check_sku(sku: &str) -> Result<(), AdminError> {
    let one = StockFile {
        items: vec![StockFileItem {
            sku: sku.to_string(),
            quantity: 0,
        }],
    };
    StockFile::parse(&serde_json::to_string(&one).expect("a stock file serializes"))
        .map(|_| ())
        .map_err(|e| AdminError::Usage(e.to_string()))
}

pub async fn run(command: StockCommand) -> Result<StockReport, AdminError> {
    let target = match &command {
        StockCommand::List(t)
        | StockCommand::Get { target: t, .. }
        | StockCommand::Set { target: t, .. }
        | StockCommand::Import { target: t, .. } => t.clone(),
    };
    let (backend, store, (action, items)) = match &target.table {
        Some(table) => {
            let client = orders_dynamodb::client_from_env()?;
            let store = DynamoStore::new(client, table);
            ("aws", table.clone(), run_on(&store, command).await?)
        }
        None => {
            if !target.db.is_file() {
                return Err(AdminError::NoStore(target.db));
            }
            let store = SqliteStore::open(&target.db)?;
            let out = run_on(&store, command).await?;
            ("local", target.db.display().to_string(), out)
        }
    };
    Ok(StockReport {
        backend,
        store,
        action,
        items,
    })
}

impl StockReport {
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let what = match self.action {
            "set" => "set".to_string(),
            "import" => format!("imported {}", plural(self.items.len() as u64, "SKU")),
            _ => plural(self.items.len() as u64, "SKU"),
        };
        let _ = writeln!(s, "{} ({}): {what}", self.store, self.backend);
        if self.items.is_empty() {
            return s;
        }
        let width = self
            .items
            .iter()
            .map(|l| l.sku.chars().count())
            .max()
            .unwrap_or(0)
            .max(3);
        let _ = writeln!(
            s,
            "{:<width$}  {:>9}  {:>8}  UPDATED",
            "SKU", "AVAILABLE", "RESERVED"
        );
        for l in &self.items {
            let _ = writeln!(
                s,
                "{:<width$}  {:>9}  {:>8}  {}",
                l.sku,
                l.available,
                l.reserved,
                format_timestamp(l.updated_at)
            );
        }
        s
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_for_people() {
        let at = orders_core::model::parse_timestamp("2026-11-22T02:01:33.123Z").unwrap();
        let report = StockReport {
            backend: "local",
            store: "x.db".into(),
            action: "list",
            items: vec![
                StockLevel {
                    sku: "laptop".into(),
                    available: 50,
                    reserved: 2,
                    updated_at: at,
                },
                StockLevel {
                    sku: "usb-c-cable".into(),
                    available: 500,
                    reserved: 0,
                    updated_at: at,
                },
            ],
        };
        assert_eq!(
            report.to_text(),
            "x.db (local): 2 SKUs\n\
             SKU          AVAILABLE  RESERVED  UPDATED\n\
             laptop              50         2  2026-11-22T02:01:33.123Z\n\
             usb-c-cable        500         0  2026-11-22T02:01:33.123Z\n"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["items"][1]["available"], 500);
        assert_eq!(json["items"][0]["updatedAt"], "2026-11-22T02:01:33.123Z");
    }

    #[test]
    fn skus_follow_the_stock_file_rule() {
        assert!(check_sku("laptop").is_ok());
        assert!(check_sku("").is_err());
        assert!(check_sku(&"x".repeat(65)).is_err());
    }
}
