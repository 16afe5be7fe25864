//! The ports: one small trait per thing the use cases need from a store.
//! `orders-dynamodb` and `orders-sqlite` implement them; the contract suite
//! in `tests/contract` holds both to the same semantics.

use crate::error::StoreError;
use crate::idempotency::IdempotencyRecord;
use crate::model::{Order, OrderStatus};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Result of a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The order (and its idempotency record, if any) was written.
    Created,
    /// A live record for this idempotency key already exists; nothing was
    /// written. The stored record is returned.
    KeyExists(IdempotencyRecord),
}

/// Writes new orders.
#[async_trait]
pub trait OrderWriter: Send + Sync {
    /// Writes `order` once: fails with [`StoreError::OrderExists`] if its id
    /// is taken. With `idempotency`, the order and the record are written
    /// atomically, unless a live (unexpired) record with the same key exists,
    /// in which case nothing is written and that record is returned.
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError>;
}

/// Reads one order.
#[async_trait]
pub trait OrderReader: Send + Sync {
    async fn get_order(&self, order_id: Uuid) -> Result<Option<Order>, StoreError>;
}

/// Lists orders by creation time.
#[async_trait]
pub trait OrderLister: Send + Sync {
    /// Orders matching `query`, in `query.order` by sort key
    /// (`createdAt#orderId`), strictly after `query.after` in that direction,
    /// at most `query.limit`; `has_more` says whether another exists.
    async fn list_orders(&self, query: &ListQuery) -> Result<ListPage, StoreError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<OrderStatus>,
    pub limit: u32,
    pub order: SortOrder,
    /// Exclusive cursor: the sort key of the last item already returned.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    pub orders: Vec<Order>,
    pub has_more: bool,
}
