//! The Orders ports on DynamoDB, exactly as docs/data-model.md lays the
//! table out: one item per order (`ORDER#<id>` / `ORDER`), one per
//! idempotency key (`IDEMPOTENCY#<key>` / `IDEMPOTENCY`), one per notified
//! (order, status) (`NOTIFICATION#<id>#<STATUS>` / `NOTIFICATION`, see
//! [`ledger`]), and two write-sharded GSIs (`byStatus`, `byCreatedAt`) that
//! lists query one shard at a time and merge. Only `GetItem`, `PutItem`,
//! `UpdateItem`, `TransactWriteItems` and `Query` are used; never `Scan`.
//!
//! Status moves and ledger claims are single conditional `UpdateItem`s that
//! ask for the current item when their condition fails
//! (`ReturnValuesOnConditionCheckFailure::ALL_OLD`), so they never need a
//! `GetItem`: the processor and the notifier are allowed none on those keys.
//!
//! Logs carry ids, counts and error codes only, never customer data.

mod client;
mod item;
pub mod ledger;
mod table;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use orders_core::error::StoreError;
use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::{format_timestamp, shard_of, Order, STATUS_SHARDS};
use orders_core::ports::{
    CreateOutcome, ListPage, ListQuery, OrderLister, OrderReader, OrderStatusUpdater, OrderWriter,
    SortOrder, StatusChange, TransitionOutcome,
};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

pub use client::{client, client_from_env};
pub use item::{notification_key, order_key, record_key};
pub use orders_aws::AwsEnv;
pub use table::create_table;

/// Environment variable holding the table name (set by the CDK stack).
pub const TABLE_ENV: &str = "ORDERS_TABLE_NAME";
/// Index queried when a status is given.
pub const BY_STATUS_INDEX: &str = "byStatus";
/// Index queried for all orders.
pub const BY_CREATED_AT_INDEX: &str = "byCreatedAt";

/// How many times a create with an idempotency key is attempted when the
/// outcome is ambiguous (the blocking record expired or vanished between the
/// cancelled transaction and the read, or a transaction conflict).
const CREATE_ATTEMPTS: u32 = 4;

type Item = HashMap<String, AttributeValue>;

/// The DynamoDB store. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The store on the table named by `ORDERS_TABLE_NAME`.
    pub fn from_env(client: Client) -> Result<Self, StoreError> {
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

    async fn put_order(&self, order: &Order) -> Result<CreateOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item::order_to_item(order)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(CreateOutcome::Created),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::OrderExists(order.order_id.to_string()))
            }
            Err(e) => Err(classify("PutItem", &e)),
        }
    }

    async fn transact_create(
        &self,
        order: &Order,
        record: &IdempotencyRecord,
    ) -> Result<CreateOutcome, StoreError> {
        let order_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item::order_to_item(order)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let record_item = item::record_to_item(record);
        let mut delay = Duration::from_millis(10);
        for attempt in 1..=CREATE_ATTEMPTS {
            let now = now_epoch_seconds();
            // `expiresAt <= :now` is the domain's "expired" (see
            // IdempotencyRecord::is_expired): such a record counts as absent.
            let record_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(record_item.clone()))
                .condition_expression("attribute_not_exists(pk) OR expiresAt <= :now")
                .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(order_put.clone()).build())
                .transact_items(TransactWriteItem::builder().put(record_put).build())
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(CreateOutcome::Created),
                Err(e) => e,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
                err.as_service_error()
            else {
                return Err(classify("TransactWriteItems", &err));
            };
            let reasons = cancel.cancellation_reasons();
            let code = |i: usize| reasons.get(i).and_then(|r| r.code()).unwrap_or("None");
            tracing::debug!(order_id = %order.order_id, attempt, order_reason = code(0),
                record_reason = code(1), "create transaction cancelled");
            if code(1) == "ConditionalCheckFailed" || reasons.is_empty() {
                // The record blocked us (or the server gave no reasons): the
                // live record is the answer. Prefer the copy the cancellation
                // carries, else read it.
                let existing = match reasons.get(1).and_then(|r| r.item()) {
                    Some(old) if !old.is_empty() => Some(item::record_from_item(old)?),
                    _ => self.get_record(&record.key).await?,
                };
                match existing {
                    Some(r) if !r.is_expired(now_epoch_seconds()) => {
                        return Ok(CreateOutcome::KeyExists(r));
                    }
                    // No reasons given and no live record: was it the order?
                    _ if reasons.is_empty() && self.get_order(order.order_id).await?.is_some() => {
                        return Err(StoreError::OrderExists(order.order_id.to_string()));
                    }
                    // Expired or deleted meanwhile: the next attempt replaces it.
                    _ => {}
                }
            } else if code(0) == "ConditionalCheckFailed" {
                return Err(StoreError::OrderExists(order.order_id.to_string()));
            } else if reasons
                .iter()
                .filter_map(|r| r.code())
                .any(|c| c.contains("Throughput") || c.contains("Throttl"))
            {
                return Err(StoreError::Unavailable(format!(
                    "TransactWriteItems throttled: {}",
                    DisplayErrorContext(&err)
                )));
            } else if !reasons
                .iter()
                .filter_map(|r| r.code())
                .any(|c| c == "TransactionConflict")
            {
                return Err(classify("TransactWriteItems", &err));
            }
            // A conflicting transaction on the same items, or a record that
            // expired under us: back off briefly and try again.
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
        tracing::warn!(order_id = %order.order_id, "idempotent create did not settle");
        Err(StoreError::Unavailable(
            "idempotent create kept conflicting; retry".into(),
        ))
    }

    async fn get_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item::record_key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", &e))?;
        out.item().map(item::record_from_item).transpose()
    }

    /// Up to `limit + 1` items of one shard, in the query's direction.
    async fn query_shard(&self, query: &ListQuery, shard: u8) -> Result<Vec<Item>, StoreError> {
        let want = query.limit as usize + 1;
        let (index, pk_attr, sk_attr, pk) = match query.status {
            Some(status) => (
                BY_STATUS_INDEX,
                "gsi1pk",
                "gsi1sk",
                item::status_partition(status, shard),
            ),
            None => (
                BY_CREATED_AT_INDEX,
                "gsi2pk",
                "gsi2sk",
                item::all_partition(shard),
            ),
        };
        let mut condition = format!("{pk_attr} = :pk");
        if query.after.is_some() {
            let cmp = match query.order {
                SortOrder::Asc => ">",
                SortOrder::Desc => "<",
            };
            condition.push_str(&format!(" AND {sk_attr} {cmp} :after"));
        }
        let mut items: Vec<Item> = Vec::with_capacity(want);
        let mut start: Option<Item> = None;
        loop {
            let mut req = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&condition)
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .scan_index_forward(query.order == SortOrder::Asc)
                .limit(i32::try_from(want - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            if let Some(after) = &query.after {
                req = req.expression_attribute_values(":after", AttributeValue::S(after.clone()));
            }
            let out = req.send().await.map_err(|e| classify("Query", &e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if items.len() < want && !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        items.truncate(want);
        // Each item carries its sort key under the index's attribute name;
        // normalise to one name for the merge.
        for it in &mut items {
            if let Some(sk) = it.get(sk_attr).cloned() {
                it.insert(MERGE_KEY.into(), sk);
            }
        }
        Ok(items)
    }
}

const MERGE_KEY: &str = "__mergeKey";

fn merge_key(it: &Item) -> &str {
    match it.get(MERGE_KEY) {
        Some(AttributeValue::S(s)) => s,
        _ => "",
    }
}

/// k-way merge of per-shard streams, each already sorted in `order`: the
/// first `limit` items overall, and whether any item is left.
fn merge(shards: Vec<Vec<Item>>, order: SortOrder, limit: usize) -> (Vec<Item>, bool) {
    let mut heads = vec![0usize; shards.len()];
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit {
        let mut best: Option<usize> = None;
        for (i, shard) in shards.iter().enumerate() {
            let Some(candidate) = shard.get(heads[i]) else {
                continue;
            };
            let better = match best {
                None => true,
                Some(b) => {
                    let current = merge_key(&shards[b][heads[b]]);
                    match order {
                        SortOrder::Asc => merge_key(candidate) < current,
                        SortOrder::Desc => merge_key(candidate) > current,
                    }
                }
            };
            if better {
                best = Some(i);
            }
        }
        let Some(b) = best else { break };
        out.push(b);
        heads[b] += 1;
    }
    let has_more = shards.iter().zip(&heads).any(|(s, &h)| h < s.len());
    // Move the chosen items out in merge order.
    let mut taken: Vec<std::vec::IntoIter<Item>> = shards.into_iter().map(Vec::into_iter).collect();
    let items = out
        .into_iter()
        .filter_map(|shard| taken[shard].next())
        .collect();
    (items, has_more)
}

#[async_trait::async_trait]
impl OrderWriter for DynamoStore {
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError> {
        let outcome = match idempotency {
            None => self.put_order(order).await,
            Some(record) => self.transact_create(order, record).await,
        };
        match &outcome {
            Ok(CreateOutcome::Created) => {
                tracing::debug!(order_id = %order.order_id, shard = order.shard(), "order written");
            }
            Ok(CreateOutcome::KeyExists(r)) => {
                tracing::debug!(order_id = %r.order_id, "idempotency key already used");
            }
            Err(StoreError::OrderExists(_)) => {
                tracing::warn!(order_id = %order.order_id, "order id already exists");
            }
            Err(e) => tracing::warn!(order_id = %order.order_id, error = %e, "create failed"),
        }
        outcome
    }
}

#[async_trait::async_trait]
impl OrderReader for DynamoStore {
    async fn get_order(&self, order_id: Uuid) -> Result<Option<Order>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item::order_key(order_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("GetItem", &e))?;
        out.item().map(item::order_from_item).transpose()
    }
}

#[async_trait::async_trait]
impl OrderLister for DynamoStore {
    async fn list_orders(&self, query: &ListQuery) -> Result<ListPage, StoreError> {
        let shards = futures::future::try_join_all(
            (0..STATUS_SHARDS).map(|shard| self.query_shard(query, shard)),
        )
        .await?;
        let (items, has_more) = merge(shards, query.order, query.limit as usize);
        let orders = items
            .iter()
            .map(item::order_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        tracing::debug!(status = ?query.status, order = ?query.order, count = orders.len(),
            has_more, "orders listed");
        Ok(ListPage { orders, has_more })
    }
}

#[async_trait::async_trait]
impl OrderStatusUpdater for DynamoStore {
    /// One conditional `UpdateItem` (`attribute_exists(pk) AND #status =
    /// :from`) that sets the status, `updatedAt`, `statusReason` and the
    /// `byStatus` key `gsi1pk` together (same shard, new status). A failed
    /// condition returns the current item (`ALL_OLD`): the order as it is, or
    /// nothing when there is no such order.
    async fn transition(&self, change: &StatusChange) -> Result<TransitionOutcome, StoreError> {
        let shard = shard_of(change.order_id);
        let mut update = String::from("SET #status = :to, gsi1pk = :gsi1pk, updatedAt = :at");
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item::order_key(change.order_id)))
            .condition_expression("attribute_exists(pk) AND #status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", AttributeValue::S(change.from.as_str().into()))
            .expression_attribute_values(":to", AttributeValue::S(change.to.as_str().into()))
            .expression_attribute_values(
                ":gsi1pk",
                AttributeValue::S(item::status_partition(change.to, shard)),
            )
            .expression_attribute_values(":at", AttributeValue::S(format_timestamp(change.at)))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        match &change.reason {
            Some(reason) => {
                update.push_str(", statusReason = :reason");
                req = req.expression_attribute_values(":reason", AttributeValue::S(reason.clone()));
            }
            None => update.push_str(" REMOVE statusReason"),
        }
        let order_id = change.order_id;
        match req.update_expression(update).send().await {
            Ok(out) => {
                let order = out
                    .attributes()
                    .map(item::order_from_item)
                    .transpose()?
                    .ok_or_else(|| StoreError::Other("UpdateItem returned no attributes".into()))?;
                tracing::debug!(order_id = %order_id, from = %change.from, to = %change.to,
                    "order status moved");
                Ok(TransitionOutcome::Moved(order))
            }
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    match failed.item().filter(|it| !it.is_empty()) {
                        Some(current) => {
                            let order = item::order_from_item(current)?;
                            tracing::debug!(order_id = %order_id, from = %change.from,
                                status = %order.status, "order not in the expected status");
                            Ok(TransitionOutcome::Unchanged(order))
                        }
                        None => Ok(TransitionOutcome::NotFound),
                    }
                }
                _ => Err(classify("UpdateItem", &e)),
            },
        }
    }
}

fn now_epoch_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Maps an SDK error ([`orders_aws::classify`]): load, service faults,
/// timeouts and unreachable endpoints become [`StoreError::Unavailable`]
/// (503, the client may retry), the rest `Other`.
pub(crate) fn classify<E>(op: &'static str, err: &SdkError<E>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = orders_aws::classify(op, err);
    let detail = format!("{}: {}", failure.op, failure.detail);
    if failure.retryable {
        StoreError::Unavailable(detail)
    } else {
        StoreError::Other(detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it(k: &str) -> Item {
        HashMap::from([(MERGE_KEY.to_string(), AttributeValue::S(k.to_string()))])
    }

    fn keys(items: &[Item]) -> Vec<&str> {
        items.iter().map(merge_key).collect()
    }

    #[test]
    fn merges_ascending_and_descending() {
        let shards = vec![
            vec![it("a"), it("d")],
            vec![],
            vec![it("b"), it("c"), it("e")],
        ];
        let (items, more) = merge(shards.clone(), SortOrder::Asc, 4);
        assert_eq!(keys(&items), ["a", "b", "c", "d"]);
        assert!(more);
        let (items, more) = merge(shards, SortOrder::Asc, 5);
        assert_eq!(keys(&items), ["a", "b", "c", "d", "e"]);
        assert!(!more);
        let desc = vec![vec![it("d"), it("a")], vec![it("e"), it("c"), it("b")]];
        let (items, more) = merge(desc, SortOrder::Desc, 3);
        assert_eq!(keys(&items), ["e", "d", "c"]);
        assert!(more);
    }
}
