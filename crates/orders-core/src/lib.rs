//! The Orders domain: the order model, exact money, status transitions,
//! idempotency rules, pagination tokens, payments and inventory, and the
//! ports (small traits) the use cases need from the outside.
//!
//! Nothing here knows about AWS, SQLite or HTTP: the adapters
//! (`orders-dynamodb`, `orders-sqlite`) implement [`ports`], the function
//! crates turn events into calls of [`usecases`] (one module per use case),
//! `orders-validation` turns a create request's body into the domain's
//! request, and `orders-http` gives errors their statuses and headers their
//! names.

#![forbid(unsafe_code)]

pub mod contract;
pub mod error;
pub mod events;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod idempotency;
pub mod inventory;
pub mod metrics;
pub mod model;
pub mod money;
pub mod notification;
pub mod pagination;
pub mod payments;
pub mod ports;
pub mod usecases;

pub use error::{DeliveryError, FieldError, OrdersError, StoreError};
pub use model::{Order, OrderItem, OrderStatus};
pub use notification::{Channel, Notification};
pub use ports::{
    Claim, CompensationStart, CreateOutcome, ListPage, ListQuery, NotificationLedger,
    NotificationRenderer, Notifier, OrderLister, OrderReader, OrderStatusUpdater, OrderWriter,
    SagaFence, SortOrder, StartOutcome, StatusChange, TransitionOutcome, WorkflowStarter,
};

/// Largest accepted request body, in bytes (a bigger one is a 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;
