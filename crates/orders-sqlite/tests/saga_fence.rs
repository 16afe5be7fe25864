//! The saga's steps on the embedded store, in the orders AWS can produce
//! and the local executor alone never does: a step that committed and then
//! failed (so the Catch compensates a decided order), a late retry, a charge
//! whose answer was lost. The order's fence decides each time.

use chrono::Utc;
use orders_core::inventory::ReservationStatus;
use orders_core::model::{Order, OrderStatus};
use orders_core::payments::{payment_id, ChargeStart, Payment, PaymentStatus};
use orders_core::ports::{AttemptCounter, PaymentLedger};
use orders_core::ports::{Inventory, StockAdmin};
use orders_core::usecases::saga::{
    error_names, run_inventory_task, run_payment_task, run_settle_task, InventoryTask, PaymentDeps,
    PaymentTask, SettleTask,
};
use orders_core::usecases::SagaError;
use orders_core::{OrderReader, OrderWriter};
use orders_payment_simulator::SimulatedGateway;
use orders_sqlite::SqliteStore;
use serde_json::Value;
use uuid::Uuid;

struct Saga {
    store: SqliteStore,
    gateway: SimulatedGateway<SqliteStore>,
}

impl Saga {
    async fn new() -> Self {
        let store = SqliteStore::in_memory().unwrap();
        store.set_stock("A", 5, Utc::now()).await.unwrap();
        Self {
            gateway: SimulatedGateway::new(store.clone()),
            store,
        }
    }

    /// A PROCESSING order of 2 × A at 10.00, charged with `token`.
    async fn order(&self, token: &str) -> Uuid {
        let id = Uuid::now_v7();
        let order: Order = serde_json::from_value(serde_json::json!({
            "orderId": id, "customerId": "c1",
            "items": [{"sku": "A", "quantity": 2, "price": "10.00", "lineTotal": "20.00"}],
            "total": "20.00", "currency": "EUR", "status": "PROCESSING", "paymentToken": token,
            "createdAt": "2026-11-22T02:01:33.123Z", "updatedAt": "2026-11-22T02:01:33.123Z"
        }))
        .unwrap();
        self.store.create_order(&order, None).await.unwrap();
        id
    }

    async fn pay(&self, task: PaymentTask) -> Result<Value, SagaError> {
        let s = &self.store;
        let deps = PaymentDeps {
            orders: s,
            fence: s,
            ledger: s,
            gateway: &self.gateway,
        };
        run_payment_task(&deps, task, Utc::now()).await
    }

    async fn charge(&self, order_id: Uuid) -> Result<Value, SagaError> {
        self.pay(PaymentTask::Charge { order_id }).await
    }

    async fn refund(&self, order_id: Uuid) -> Result<Value, SagaError> {
        self.pay(PaymentTask::Refund { order_id }).await
    }

    async fn stock(&self, task: InventoryTask) -> Result<Value, SagaError> {
        run_inventory_task(&self.store, &self.store, task, Utc::now()).await
    }

    async fn reserve(&self, order_id: Uuid) -> Result<Value, SagaError> {
        self.stock(InventoryTask::Reserve { order_id }).await
    }

    async fn release(&self, order_id: Uuid) -> Result<Value, SagaError> {
        self.stock(InventoryTask::Release { order_id }).await
    }

    async fn complete(&self, order_id: Uuid) -> Result<Value, SagaError> {
        run_settle_task(&self.store, SettleTask::Complete { order_id }, Utc::now()).await
    }

    async fn status(&self, order_id: Uuid) -> OrderStatus {
        self.store
            .get_order(order_id)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    async fn payment(&self, order_id: Uuid) -> Option<Payment> {
        self.store.get_payment(order_id).await.unwrap()
    }

    async fn available(&self) -> (u32, u32) {
        let level = self.store.get_stock("A").await.unwrap().unwrap();
        (level.available, level.reserved)
    }
}

fn name(r: Result<Value, SagaError>) -> String {
    match r {
        Ok(v) => format!("ok {}", v["status"].as_str().unwrap_or_default()),
        Err(e) => e.error_name().to_string(),
    }
}

/// The defect this design fixes: settle-order wrote COMPLETED and its
/// invocation then failed, so the Catch runs the compensation chain. The
/// fence refuses: nothing is released or refunded, the order stays
/// COMPLETED, and the execution ends `Superseded`.
#[tokio::test]
async fn a_completed_order_is_never_compensated() {
    let saga = Saga::new().await;
    let id = saga.order("tok_approve").await;
    assert_eq!(name(saga.charge(id).await), "ok APPROVED");
    assert_eq!(name(saga.reserve(id).await), "ok RESERVED");
    assert_eq!(name(saga.complete(id).await), "ok COMPLETED");
    // The retry of the failed invocation finds it done.
    assert_eq!(name(saga.complete(id).await), "ok COMPLETED");
    assert_eq!(name(saga.release(id).await), error_names::SUPERSEDED);
    assert_eq!(name(saga.refund(id).await), error_names::SUPERSEDED);
    assert_eq!(saga.status(id).await, OrderStatus::Completed);
    assert_eq!(
        saga.payment(id).await.unwrap().status,
        PaymentStatus::Charged
    );
    assert_eq!(saga.available().await, (3, 2));
    let held = saga.store.get_reservation(id).await.unwrap().unwrap();
    assert_eq!(held.status, ReservationStatus::Reserved);
    // A late duplicate execution does nothing either.
    assert_eq!(name(saga.charge(id).await), error_names::SUPERSEDED);
    assert_eq!(name(saga.reserve(id).await), error_names::SUPERSEDED);
}

/// Compensation began (one execution's Complete failed before committing):
/// the other execution's Complete is refused, and compensation gives back
/// what both executions' steps took, once.
#[tokio::test]
async fn once_compensation_began_the_order_cannot_complete() {
    let saga = Saga::new().await;
    let id = saga.order("tok_approve").await;
    assert_eq!(name(saga.charge(id).await), "ok APPROVED");
    assert_eq!(name(saga.reserve(id).await), "ok RESERVED");
    assert_eq!(name(saga.release(id).await), "ok RELEASED");
    assert_eq!(name(saga.complete(id).await), error_names::COMPENSATING);
    assert_eq!(name(saga.reserve(id).await), error_names::COMPENSATING);
    assert_eq!(name(saga.charge(id).await), error_names::COMPENSATING);
    assert_eq!(name(saga.refund(id).await), "ok REFUNDED");
    assert_eq!(name(saga.refund(id).await), "ok REFUNDED");
    assert_eq!(name(saga.charge(id).await), error_names::COMPENSATING);
    assert_eq!(name(saga.release(id).await), "ok RELEASED");
    let failed = run_settle_task(
        &saga.store,
        SettleTask::Fail {
            order_id: id,
            reason: orders_core::model::FailureReason::ProcessingError,
            decline_code: None,
            skus: None,
        },
        Utc::now(),
    )
    .await;
    assert_eq!(name(failed), "ok FAILED");
    assert_eq!(saga.status(id).await, OrderStatus::Failed);
    assert_eq!(saga.available().await, (5, 0));
    let paid = saga.payment(id).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Refunded);
    assert_eq!(paid.refund.unwrap().amount, paid.amount);
    // Another execution settling it otherwise is superseded.
    let late = run_settle_task(
        &saga.store,
        SettleTask::Fail {
            order_id: id,
            reason: orders_core::model::FailureReason::OutOfStock,
            decline_code: None,
            skus: Some(vec!["A".into()]),
        },
        Utc::now(),
    )
    .await;
    assert_eq!(name(late), error_names::SUPERSEDED);
}

/// A compensation that ran before any charge: a late (retried or
/// duplicate) charge records nothing and asks the provider nothing.
#[tokio::test]
async fn a_charge_after_compensation_began_moves_no_money() {
    let saga = Saga::new().await;
    let id = saga.order("tok_approve").await;
    assert_eq!(name(saga.refund(id).await), "ok NOT_CHARGED");
    assert_eq!(name(saga.charge(id).await), error_names::COMPENSATING);
    assert_eq!(saga.payment(id).await, None);
    // The provider was never asked: the key is unused.
    assert_eq!(
        saga.store.void_key(&format!("charge#{id}")).await.unwrap(),
        0
    );
    assert_eq!(name(saga.reserve(id).await), error_names::COMPENSATING);
    assert_eq!(saga.available().await, (5, 0));
}

/// The charger recorded its intent and the provider charged, then the
/// invocation died before the answer was recorded: the compensation finds
/// the intent, cancels it at the provider (refunding what it took) and
/// records VOIDED; a retried charge is refused.
#[tokio::test]
async fn a_lost_charge_answer_is_voided_and_refunded() {
    let saga = Saga::new().await;
    let id = saga.order("tok_approve").await;
    let order = saga.store.get_order(id).await.unwrap().unwrap();
    let intent = Payment {
        payment_id: payment_id(id),
        order_id: id,
        amount: order.total,
        currency: order.currency.clone(),
        status: PaymentStatus::Charging,
        provider_ref: None,
        decline_code: None,
        refund: None,
        created_at: Utc::now(),
    };
    assert!(matches!(
        saga.store.begin_charge(&intent).await.unwrap(),
        ChargeStart::Begun(_)
    ));
    // What the provider saw before the charger died.
    assert_eq!(
        saga.store
            .count_attempt(&format!("charge#{id}"))
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(name(saga.refund(id).await), "ok REFUNDED");
    let voided = saga.payment(id).await.unwrap();
    assert_eq!(voided.status, PaymentStatus::Voided);
    assert_eq!(voided.refund.as_ref().unwrap().amount, order.total);
    assert_eq!(name(saga.charge(id).await), error_names::COMPENSATING);
    assert_eq!(name(saga.refund(id).await), "ok REFUNDED");
    assert_eq!(saga.payment(id).await.unwrap(), voided);
}

/// The provider never answered (`tok_transient_always`): the intent stays
/// CHARGING through the retries; the compensation voids it with nothing to
/// refund.
#[tokio::test]
async fn an_intent_the_provider_never_charged_is_voided_with_no_refund() {
    let saga = Saga::new().await;
    let id = saga.order("tok_transient_always").await;
    for _ in 0..3 {
        assert_eq!(name(saga.charge(id).await), error_names::TRANSIENT);
    }
    assert_eq!(
        saga.payment(id).await.unwrap().status,
        PaymentStatus::Charging
    );
    assert_eq!(name(saga.release(id).await), "ok NOT_RESERVED");
    assert_eq!(name(saga.refund(id).await), "ok NOT_CHARGED");
    let voided = saga.payment(id).await.unwrap();
    assert_eq!(
        (voided.status, voided.refund),
        (PaymentStatus::Voided, None)
    );
}

/// Two executions charge one order at once (Express's duplicate start): one
/// intent, one provider charge, both told APPROVED.
#[tokio::test]
async fn two_executions_charge_once() {
    let saga = std::sync::Arc::new(Saga::new().await);
    let id = saga.order("tok_approve").await;
    let (a, b) = tokio::join!(saga.charge(id), saga.charge(id));
    assert_eq!(
        (name(a), name(b)),
        ("ok APPROVED".into(), "ok APPROVED".into())
    );
    let paid = saga.payment(id).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Charged);
    let (a, b) = tokio::join!(saga.reserve(id), saga.reserve(id));
    assert_eq!(
        (name(a), name(b)),
        ("ok RESERVED".into(), "ok RESERVED".into())
    );
    assert_eq!(saga.available().await, (3, 2));
}
