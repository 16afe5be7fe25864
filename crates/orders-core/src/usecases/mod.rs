//! The use cases, one module each. Handlers call them with what they took
//! from the event and turn the result into a response; no business rule
//! lives in a handler.
//!
//! # One clock convention
//!
//! A use case that needs the time is given it (`now: DateTime<Utc>`): the
//! handler (or the local host's worker) reads the clock once per request or
//! message and passes it on; nothing behind a use case reads the clock. So
//! `createdAt`, `updatedAt`, event times and ledger leases of one call all
//! come from one instant, and tests pass fixed ones.
//!
//! # Exactly once, built from at-least-once parts
//!
//! Queues and topics deliver at least once, and a function can die between
//! any two calls. So:
//! - the status move is a conditional write ([`OrderStatusUpdater`]): of all
//!   deliveries of one event exactly one moves the order;
//! - the status-changed event is the write itself: the table's stream on
//!   AWS, an outbox row in the transition's transaction locally. Its id is
//!   derived from (order, status), so a copy is the same event;
//! - every saga step is idempotent per order (a payment and a reservation
//!   on record are the answer to a repeated step), so retries, duplicate
//!   Express executions and resumed local executions move nothing twice;
//! - the notifier claims (order, status) in its ledger before sending and
//!   marks it sent after, so copies of the event send nothing twice.
//!
//! [`OrderStatusUpdater`]: crate::ports::OrderStatusUpdater

pub mod cancel;
pub mod create;
pub mod get;
pub mod list;
pub mod notify;
pub mod process;
pub mod saga;

pub use cancel::cancel_order;
pub use create::{create_order, CreateOrderRequest, CreateResponse, NewItem};
pub use get::get_order;
pub use list::{list_orders, parse_list_request, ListRequest, OrdersPage};
pub use notify::{
    notify_status_changed, NotifyError, NotifyOutcome, NOTIFICATION_LEASE, REFUSED_OUTCOME,
};
pub use process::{process_order_created, ProcessOutcome};
pub use saga::SagaError;
