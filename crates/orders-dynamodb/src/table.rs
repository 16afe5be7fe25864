//! Creating the orders table for tests and local tooling. The deployed table
//! comes from the CDK stack; both read its key schema, indexes and TTL
//! attribute from `contracts/table-keys.json` (docs/data-model.md).

use crate::classify;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use orders_core::error::StoreError;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The table's contract, as the CDK app reads it for the deployed table.
const TABLE_CONTRACT: &str = include_str!("../../../contracts/table-keys.json");

/// One global secondary index (projection ALL, the only one the contract uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: String,
    pub partition_key: String,
    pub sort_key: String,
}

/// What `contracts/table-keys.json` says the table is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub partition_key: String,
    pub sort_key: String,
    pub ttl_attribute: String,
    pub indexes: Vec<IndexDefinition>,
}

impl TableDefinition {
    /// Every key attribute of the table and its indexes (all strings).
    pub fn key_attributes(&self) -> Vec<&str> {
        let mut names = vec![self.partition_key.as_str(), self.sort_key.as_str()];
        for i in &self.indexes {
            names.extend([i.partition_key.as_str(), i.sort_key.as_str()]);
        }
        names
    }
}

/// The table as `contracts/table-keys.json` defines it.
pub fn table_definition() -> Result<TableDefinition, StoreError> {
    let invalid = |what: String| StoreError::Other(format!("contracts/table-keys.json: {what}"));
    let v: Value = serde_json::from_str(TABLE_CONTRACT).map_err(|e| invalid(e.to_string()))?;
    let text = |v: &Value, pointer: &str| -> Result<String, StoreError> {
        v.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| invalid(format!("no string at {pointer}")))
    };
    let mut indexes = Vec::new();
    let entries = v
        .get("indexes")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("no indexes".into()))?;
    for (name, index) in entries {
        let projection = text(index, "/projection")?;
        if projection != "ALL" {
            return Err(invalid(format!("{name}: projection {projection}")));
        }
        indexes.push(IndexDefinition {
            name: name.clone(),
            partition_key: text(index, "/partitionKey")?,
            sort_key: text(index, "/sortKey")?,
        });
    }
    Ok(TableDefinition {
        partition_key: text(&v, "/table/partitionKey")?,
        sort_key: text(&v, "/table/sortKey")?,
        ttl_attribute: text(&v, "/table/ttlAttribute")?,
        indexes,
    })
}

/// How long [`create_table`] waits for the table to become ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

fn build<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Other(format!("invalid table definition: {e}")))
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    build(
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build(),
    )
}

fn string_attr(name: &str) -> Result<AttributeDefinition, StoreError> {
    build(
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build(),
    )
}

fn gsi(name: &str, pk: &str, sk: &str) -> Result<GlobalSecondaryIndex, StoreError> {
    build(
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key(pk, KeyType::Hash)?)
            .key_schema(key(sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build(),
    )
}

/// Creates the orders table as `contracts/table-keys.json` defines it (keys
/// `pk`/`sk`, GSIs `byStatus` on `gsi1pk`/`gsi1sk` and `byCreatedAt` on
/// `gsi2pk`/`gsi2sk`, projection ALL, TTL on `expiresAt`), on-demand, and
/// waits until it and its indexes are ACTIVE.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let def = table_definition()?;
    let mut req = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(&def.partition_key, KeyType::Hash)?)
        .key_schema(key(&def.sort_key, KeyType::Range)?);
    for index in &def.indexes {
        req =
            req.global_secondary_indexes(gsi(&index.name, &index.partition_key, &index.sort_key)?);
    }
    for name in def.key_attributes() {
        req = req.attribute_definitions(string_attr(name)?);
    }
    req.send().await.map_err(|e| classify("CreateTable", &e))?;

    let deadline = Instant::now() + ACTIVE_TIMEOUT;
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| classify("DescribeTable", &e))?;
        let desc = out.table();
        let table_active = desc.and_then(|t| t.table_status()) == Some(&TableStatus::Active);
        let indexes_active = desc.is_some_and(|t| {
            t.global_secondary_indexes()
                .iter()
                .all(|g| g.index_status().is_none_or(|s| *s == IndexStatus::Active))
        });
        if table_active && indexes_active {
            break;
        }
        if Instant::now() > deadline {
            return Err(StoreError::Unavailable(format!(
                "table {table} did not become ACTIVE within {ACTIVE_TIMEOUT:?}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(build(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(&def.ttl_attribute)
                .build(),
        )?)
        .send()
        .await
        .map_err(|e| classify("UpdateTimeToLive", &e))?;
    tracing::info!(table, "orders table created");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BY_CREATED_AT_INDEX, BY_STATUS_INDEX};

    /// The indexes the adapters query are the contract's, so a table
    /// created from it serves them.
    #[test]
    fn the_table_definition_is_the_contracts() {
        let def = table_definition().unwrap();
        assert_eq!(
            (def.partition_key.as_str(), def.sort_key.as_str()),
            ("pk", "sk")
        );
        assert_eq!(def.ttl_attribute, "expiresAt");
        let mut names: Vec<&str> = def.indexes.iter().map(|i| i.name.as_str()).collect();
        names.sort_unstable();
        let mut ours = vec![BY_STATUS_INDEX, BY_CREATED_AT_INDEX];
        ours.sort_unstable();
        assert_eq!(names, ours);
        let mut attributes = def.key_attributes();
        attributes.sort_unstable();
        assert_eq!(
            attributes,
            ["gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "pk", "sk"]
        );
    }
}
