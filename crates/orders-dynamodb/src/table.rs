//! Creating the orders table for tests and local tooling. The deployed table
//! comes from the CDK stack; both follow docs/data-model.md.

use crate::{classify, BY_CREATED_AT_INDEX, BY_STATUS_INDEX};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use orders_core::error::StoreError;
use std::time::{Duration, Instant};

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

/// Creates the orders table (keys `pk`/`sk`, GSIs `byStatus` on
/// `gsi1pk`/`gsi1sk` and `byCreatedAt` on `gsi2pk`/`gsi2sk`, projection ALL,
/// on-demand billing, TTL on `expiresAt`) and waits until it and its indexes
/// are ACTIVE.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut req = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .global_secondary_indexes(gsi(BY_STATUS_INDEX, "gsi1pk", "gsi1sk")?)
        .global_secondary_indexes(gsi(BY_CREATED_AT_INDEX, "gsi2pk", "gsi2sk")?);
    for name in ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"] {
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
                .attribute_name("expiresAt")
                .build(),
        )?)
        .send()
        .await
        .map_err(|e| classify("UpdateTimeToLive", &e))?;
    tracing::info!(table, "orders table created");
    Ok(())
}
