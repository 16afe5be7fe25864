//! Lists: one `Query` per write shard of the `byStatus` or `byCreatedAt`
//! index, merged k ways into one page.

use crate::item::{self, Item};
use crate::{classify, DynamoStore};
use aws_sdk_dynamodb::types::AttributeValue;
use orders_core::error::StoreError;
use orders_core::model::STATUS_SHARDS;
use orders_core::ports::{ListPage, ListQuery, OrderLister, SortOrder};

/// Index queried when a status is given.
pub const BY_STATUS_INDEX: &str = "byStatus";
/// Index queried for all orders.
pub const BY_CREATED_AT_INDEX: &str = "byCreatedAt";

impl DynamoStore {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
