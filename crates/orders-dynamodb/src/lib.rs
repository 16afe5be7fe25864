//! The Orders ports on DynamoDB, exactly as docs/data-model.md lays the
//! table out: one item per order (`ORDER#<id>` / `ORDER`), one per
//! idempotency key (`IDEMPOTENCY#<key>` / `IDEMPOTENCY`), one per notified
//! (order, status) (`NOTIFICATION#<id>#<STATUS>` / `NOTIFICATION`, see
//! [`ledger`]), the saga's records (payments `PAYMENT#<orderId>`, attempt
//! counters `PAYMENT_ATTEMPT#<key>`, stock `STOCK#<sku>`, reservations
//! `RESERVATION#<orderId>`), and two write-sharded GSIs (`byStatus`,
//! `byCreatedAt`) that lists query one shard at a time and merge. Only
//! `GetItem`, `PutItem`, `UpdateItem`, `TransactWriteItems` and `Query` are
//! used, and one `Scan`: the operator's stock listing (see [`stock`]).
//!
//! Status moves and ledger claims are single conditional `UpdateItem`s that
//! ask for the current item when their condition fails
//! (`ReturnValuesOnConditionCheckFailure::ALL_OLD`), so they never need a
//! `GetItem`: the processor and the notifier are allowed none on those keys.
//!
//! The order item is also the saga's fence ([`orders_core::ports::SagaFence`]):
//! compensation begins by setting its `compensationStartedAt` (one
//! conditional `UpdateItem`), and completing the order, recording a charge
//! intent and writing a reservation are conditional on it being absent
//! (the transition's condition, and a `ConditionCheck` of the order item in
//! the charge's and the reservation's `TransactWriteItems`).
//!
//! Logs carry ids, counts and error codes only, never customer data.

mod client;
mod errors;
mod fence;
mod inventory;
mod item;
#[cfg(test)]
mod key_contract;
pub mod ledger;
mod list;
mod orders;
mod payments;
pub mod stock;
mod store;
mod table;
#[cfg(feature = "test-util")]
pub mod test_util;
mod transitions;

pub(crate) use errors::classify;

pub use client::{client, client_from_env, client_from_env_in_background};
pub use inventory::MAX_RESERVATION_LINES;
pub use item::{notification_key, order_key, record_key};
pub use list::{BY_CREATED_AT_INDEX, BY_STATUS_INDEX};
pub use orders_aws_runtime::AwsEnv;
pub use payments::{attempt_key, payment_key};
pub use stock::{reservation_key, stock_key};
pub use store::{DynamoStore, TABLE_ENV};
pub use table::{create_table, table_definition, IndexDefinition, TableDefinition};
