//! One contract suite for the Orders ports. Every case is an async function
//! generic over a store implementing [`OrderWriter`], [`OrderReader`],
//! [`OrderLister`], [`OrderStatusUpdater`] and [`NotificationLedger`]; `tests/contract.rs` runs each case against every backend
//! (SQLite in memory, SQLite on a file, DynamoDB on an endpoint such as moto
//! or DynamoDB Local) on a fresh, empty store.
//!
//! DynamoDB backends are configured by environment:
//! - `ORDERS_TEST_DYNAMODB_ENDPOINT`: a loopback URL (`http://127.0.0.1:PORT`);
//! - `ORDERS_REQUIRE_DYNAMODB=1`: fail (instead of skip) when it is unset.

pub mod backends;
pub mod cases;
pub mod fixtures;

use orders_core::ports::{
    NotificationLedger, OrderLister, OrderReader, OrderStatusUpdater, OrderWriter,
};

/// What the suite needs of a store.
pub trait Store:
    OrderWriter
    + OrderReader
    + OrderLister
    + OrderStatusUpdater
    + NotificationLedger
    + Clone
    + Send
    + Sync
    + 'static
{
}
impl<T> Store for T where
    T: OrderWriter
        + OrderReader
        + OrderLister
        + OrderStatusUpdater
        + NotificationLedger
        + Clone
        + Send
        + Sync
        + 'static
{
}
