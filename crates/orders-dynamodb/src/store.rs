//! The store itself: the SDK client and the table it works on.

use aws_sdk_dynamodb::Client;
use orders_aws_runtime::Deferred;
use orders_core::error::StoreError;

/// Environment variable holding the table name (contracts/functions.json).
pub const TABLE_ENV: &str = orders_core::contract::env::ORDERS_TABLE_NAME;

/// The DynamoDB store. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Deferred<Client>,
    pub(crate) table: String,
}

impl DynamoStore {
    pub fn new(client: impl Into<Deferred<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
        }
    }

    /// The store on the table named by `ORDERS_TABLE_NAME`.
    pub fn from_env(client: impl Into<Deferred<Client>>) -> Result<Self, StoreError> {
        match std::env::var(TABLE_ENV) {
            Ok(t) if !t.trim().is_empty() => Ok(Self::new(client, t)),
            _ => Err(StoreError::Other(format!("{TABLE_ENV} is not set"))),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}
