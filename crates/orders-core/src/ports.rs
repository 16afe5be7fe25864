//! The ports: one small trait per thing the use cases need from the
//! outside (stores, the payment provider, the notifier, the workflow, the
//! metrics sink). `orders-dynamodb` and `orders-sqlite` implement the store
//! ports; the contract suite in `tests/contract` holds both to the same
//! semantics.

use crate::error::{DeliveryError, StoreError};
use crate::idempotency::IdempotencyRecord;
use crate::inventory::{Reservation, ReservationLine, ReserveOutcome, StockLevel};
use crate::model::Metric;
use crate::model::{Order, OrderStatus};
use crate::notification::{Channel, Notification};
use crate::payments::{
    ChargeRequest, ChargeStart, Payment, PaymentError, ProviderCharge, Refund, RefundRequest,
    VoidOutcome,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
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

/// A status move to make only if the order is still in `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub order_id: Uuid,
    pub from: OrderStatus,
    pub to: OrderStatus,
    /// Why (for FAILED); stored as the order's `statusReason`.
    pub reason: Option<String>,
    /// The reason's particulars; stored as the order's `statusDetail`.
    pub detail: Option<String>,
    /// The new `updatedAt`.
    pub at: DateTime<Utc>,
}

impl StatusChange {
    /// The move's `OrderStatusChanged`: what a store writes with the move
    /// itself (the outbox row locally, the item's `statusEvent` on
    /// DynamoDB). A move the lifecycle does not allow
    /// ([`OrderStatus::can_move_to`]) has no event, and stores refuse it.
    pub fn event(&self) -> Result<crate::events::OrderStatusChanged, StoreError> {
        crate::events::OrderStatusChanged::new(
            self.order_id,
            self.from,
            self.to,
            self.reason.clone(),
            self.at,
        )
        .ok_or_else(|| {
            StoreError::Other(format!(
                "the lifecycle does not allow {} to {} (order {})",
                self.from, self.to, self.order_id
            ))
        })
    }
}

/// Result of a conditional status move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionOutcome {
    /// The order was in `from` and is now in `to`: the order after the move.
    Moved(Order),
    /// The order is not in `from`; nothing was written: the order as it is.
    Unchanged(Order),
    /// No such order.
    NotFound,
}

/// Moves orders between statuses, conditionally and atomically: of any
/// number of concurrent calls for the same order and `from`, exactly one
/// sees [`TransitionOutcome::Moved`].
///
/// A move to COMPLETED also requires that the order's compensation has not
/// begun ([`SagaFence`]); an order whose compensation began is returned
/// [`TransitionOutcome::Unchanged`], still PROCESSING.
#[async_trait]
pub trait OrderStatusUpdater: Send + Sync {
    async fn transition(&self, change: &StatusChange) -> Result<TransitionOutcome, StoreError>;
}

/// What beginning an order's compensation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompensationStart {
    /// The order is PROCESSING with its compensation begun (now, or by an
    /// earlier call, whose time is kept): it can no longer complete.
    Begun(Order),
    /// The order is not PROCESSING (COMPLETED, FAILED, ...): nothing was
    /// written.
    NotProcessing(Order),
    NotFound,
}

/// The saga's fence on the order's own record: compensation (release,
/// refund) begins with [`SagaFence::begin_compensation`], a conditional
/// write; completing the order, recording a charge intent and writing a
/// reservation are conditional on it not having begun. So of a completion
/// and a compensation racing for one order exactly one wins, whichever
/// executions run them and however late.
#[async_trait]
pub trait SagaFence: Send + Sync {
    /// Marks a PROCESSING order's compensation as begun at `at` (an earlier
    /// mark is kept). Writes no status event.
    async fn begin_compensation(
        &self,
        order_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<CompensationStart, StoreError>;
}

/// What starting an order's saga did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    Started,
    /// An execution named after the order exists already (a redelivered
    /// `OrderCreated`): nothing new was started.
    AlreadyStarted,
}

/// Starts the order saga (Step Functions on AWS, the local ASL executor on
/// the local host) with the order id as the execution name and
/// [`crate::usecases::saga::saga_input`] as its input.
#[async_trait]
pub trait WorkflowStarter: Send + Sync {
    async fn start_saga(&self, order_id: Uuid) -> Result<StartOutcome, DeliveryError>;
}

/// Writes what the customer is told about a status of an order (the
/// templates are an adapter's: `orders-notifications`).
pub trait NotificationRenderer: Send + Sync {
    /// The messages for `order` entering `status`, addressed to the contacts
    /// the order carries; `None` for a status that is not notified.
    fn render(&self, order: &Order, status: OrderStatus) -> Option<Notification>;
}

/// Sends notifications: SES e-mail and SNS SMS where a stage enables them,
/// otherwise a structured log line with the addresses masked.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends what the notification carries on the enabled channels and says
    /// which were used.
    async fn send(&self, notification: &Notification) -> Result<Vec<Channel>, DeliveryError>;
}

/// State of the send ledger entry of one (order, status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This caller may send: nothing was sent yet, or an earlier claim ran
    /// out its lease without completing (its sender died).
    Claimed,
    /// Already sent: send nothing.
    AlreadySent,
    /// Another sender holds a live claim: retry later.
    InFlight,
    /// The service refused the notification for good earlier: send nothing
    /// (the same request would be refused again).
    Refused,
}

/// Makes sending idempotent per (order, status).
#[async_trait]
pub trait NotificationLedger: Send + Sync {
    /// Claims (order, status) for sending until `now + lease`.
    async fn claim(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> Result<Claim, StoreError>;

    /// Marks (order, status) sent on `channels`. Sending again is refused
    /// from now on.
    async fn complete(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        channels: &[Channel],
    ) -> Result<(), StoreError>;

    /// Marks (order, status) refused for good by the delivery service, with
    /// the service's error `code`. Like [`NotificationLedger::complete`],
    /// it settles the entry: later claims are [`Claim::Refused`]. An entry
    /// already sent stays sent (a sender whose lease ran out may be refused
    /// after another one delivered): what the customer got wins.
    async fn refuse(
        &self,
        order_id: Uuid,
        status: OrderStatus,
        now: DateTime<Utc>,
        code: &str,
    ) -> Result<(), StoreError>;
}

/// Reserves and releases stock, per order.
#[async_trait]
pub trait Inventory: Send + Sync {
    /// Reserves every line or none, atomically and conditionally: no
    /// SKU's `available` goes below zero. Of concurrent reservations of the
    /// last units exactly one succeeds. A second call for the same order
    /// changes nothing and returns the stored reservation. A new
    /// reservation is written only while the order is PROCESSING with its
    /// compensation not begun, in the same transaction
    /// ([`ReserveOutcome::Fenced`] otherwise).
    async fn reserve(
        &self,
        order_id: Uuid,
        lines: &[ReservationLine],
        at: DateTime<Utc>,
    ) -> Result<ReserveOutcome, StoreError>;

    /// Gives a RESERVED reservation's units back, once; returns the
    /// reservation as stored after the call, `None` if the order reserved
    /// nothing.
    async fn release(
        &self,
        order_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError>;

    async fn get_reservation(&self, order_id: Uuid) -> Result<Option<Reservation>, StoreError>;
}

/// Reads and sets stock records (the admin command, the local host's seed).
#[async_trait]
pub trait StockAdmin: Send + Sync {
    /// Stock records by SKU, ascending, strictly after `after`, at most `limit`.
    async fn list_stock(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StockLevel>, StoreError>;

    async fn get_stock(&self, sku: &str) -> Result<Option<StockLevel>, StoreError>;

    /// Sets a SKU's available quantity (creating its record); what is
    /// reserved stays reserved. Returns the record after the write.
    async fn set_stock(
        &self,
        sku: &str,
        available: u32,
        at: DateTime<Utc>,
    ) -> Result<StockLevel, StoreError>;

    /// Creates the record with `available` only if the SKU has none; true
    /// if it was created. What seeding uses, so it never overwrites stock.
    async fn seed_stock(
        &self,
        sku: &str,
        available: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

/// A payment provider.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn charge(&self, request: &ChargeRequest) -> Result<ProviderCharge, PaymentError>;
    /// Refunds the charge; returns the provider's refund reference.
    async fn refund(&self, request: &RefundRequest) -> Result<String, PaymentError>;
    /// Cancels whatever the request's idempotency key charged, refunding it,
    /// and refuses any later charge with the key (a provider's cancel by
    /// reference, for a charge whose answer was lost). Repeatable.
    async fn void(&self, request: &ChargeRequest) -> Result<VoidOutcome, PaymentError>;
}

/// The simulated provider's durable memory per idempotency key: calls
/// counted (what lets it fail `tok_transient_N` exactly N times across
/// processes), and whether the key was voided.
#[async_trait]
pub trait AttemptCounter: Send + Sync {
    /// Adds one to the key's count and returns the new count (1 the first
    /// time); `None`, and nothing counted, once the key is voided.
    async fn count_attempt(&self, key: &str) -> Result<Option<u32>, StoreError>;

    /// Voids the key (for good) and returns its count at that moment. A
    /// count and a void of one key are atomic with respect to each other.
    async fn void_key(&self, key: &str) -> Result<u32, StoreError>;
}

/// The payment records, one per order.
#[async_trait]
pub trait PaymentLedger: Send + Sync {
    async fn get_payment(&self, order_id: Uuid) -> Result<Option<Payment>, StoreError>;

    /// Records the intent to charge (`intent`, status CHARGING) before the
    /// provider is asked, atomically with the fence: only if the order has
    /// no payment, is PROCESSING and its compensation has not begun.
    async fn begin_charge(&self, intent: &Payment) -> Result<ChargeStart, StoreError>;

    /// Records the provider's answer: moves the order's CHARGING payment to
    /// `payment` (status CHARGED or DECLINED, with its reference or decline
    /// code). Returns the stored payment: this one, or whatever another
    /// call recorded first (the first answer wins).
    async fn record_charge(&self, payment: &Payment) -> Result<Payment, StoreError>;

    /// Records the refund of the order's CHARGED payment (status becomes
    /// REFUNDED) unless it is refunded already; returns the stored payment.
    /// `None` if the order has no payment; a DECLINED payment is returned
    /// unchanged.
    async fn record_refund(
        &self,
        order_id: Uuid,
        refund: &Refund,
    ) -> Result<Option<Payment>, StoreError>;
}

/// Where metrics go. Recording must not fail a request, nor block it for
/// long: a sink writes a line, or drops the metric.
pub trait MetricsSink: Send + Sync {
    fn record(&self, metric: &Metric<'_>);
}
