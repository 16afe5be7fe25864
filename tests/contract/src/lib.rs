//! One contract suite for the Orders ports. Every case is an async function
//! generic over a [`Store`]: the order ports ([`OrderWriter`],
//! [`OrderReader`], [`OrderLister`], [`OrderStatusUpdater`]), the
//! [`NotificationLedger`], the saga's fence ([`SagaFence`]) and stores
//! ([`PaymentLedger`], [`AttemptCounter`], [`Inventory`], [`StockAdmin`]) and
//! a view of the status events its writes produced
//! ([`events::StatusEventLog`]);
//! `tests/contract.rs` runs each case against every backend
//! (SQLite in memory, SQLite on a file, DynamoDB on an endpoint such as moto
//! or DynamoDB Local) on a fresh, empty store.
//!
//! DynamoDB backends are configured by environment:
//! - `ORDERS_TEST_DYNAMODB_ENDPOINT`: a loopback URL (`http://127.0.0.1:PORT`);
//! - `ORDERS_REQUIRE_DYNAMODB=1`: fail (instead of skip) when it is unset.

pub mod backends;
pub mod cases;
pub mod events;
pub mod fence;
pub mod fixtures;
pub mod payments;
pub mod stock;

use events::StatusEventLog;
use orders_core::ports::{AttemptCounter, PaymentLedger};
use orders_core::ports::{Inventory, StockAdmin};
use orders_core::ports::{
    NotificationLedger, OrderLister, OrderReader, OrderStatusUpdater, OrderWriter, SagaFence,
};

/// What the suite needs of a store.
pub trait Store:
    OrderWriter
    + OrderReader
    + OrderLister
    + OrderStatusUpdater
    + SagaFence
    + NotificationLedger
    + PaymentLedger
    + AttemptCounter
    + Inventory
    + StockAdmin
    + StatusEventLog
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
        + SagaFence
        + NotificationLedger
        + PaymentLedger
        + AttemptCounter
        + Inventory
        + StockAdmin
        + StatusEventLog
        + Clone
        + Send
        + Sync
        + 'static
{
}
