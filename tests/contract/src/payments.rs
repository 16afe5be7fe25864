//! Cases of the payment records ([`PaymentLedger`], [`AttemptCounter`]).
//!
//! A charge is recorded in two writes: its intent (`begin_charge`, status
//! CHARGING, behind the saga's fence: the order must be PROCESSING and not
//! compensating), then the provider's answer (`record_charge`: CHARGED,
//! DECLINED or VOIDED; the first answer wins). The fence itself is proved
//! in [`crate::fence`].
//!
//! [`PaymentLedger`]: orders_core::ports::PaymentLedger
//! [`AttemptCounter`]: orders_core::ports::AttemptCounter

use crate::cases::create_processing;
use crate::fixtures::*;
use crate::Store;
use orders_core::payments::{
    payment_id, refund_id, ChargeStart, DeclineCode, Payment, PaymentStatus, Refund,
};
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::str::FromStr;
use uuid::Uuid;

/// The intent to charge `order_id` (status CHARGING), as the charge step
/// records it before it asks the provider.
pub fn intent(order_id: Uuid, at_offset_ms: i64) -> Payment {
    Payment {
        payment_id: payment_id(order_id),
        order_id,
        amount: Decimal::from_str("1030.07").unwrap(),
        currency: "EUR".into(),
        status: PaymentStatus::Charging,
        provider_ref: None,
        decline_code: None,
        refund: None,
        created_at: at_ms(at_offset_ms),
    }
}

/// The provider's answer to `intent` as the charge step records it: CHARGED
/// with the provider's reference, or DECLINED with a decline code.
pub fn answer(intent: &Payment, status: PaymentStatus) -> Payment {
    let approved = status == PaymentStatus::Charged;
    Payment {
        status,
        provider_ref: approved.then(|| format!("ch_sim_{}", intent.order_id.simple())),
        decline_code: (!approved).then_some(DeclineCode::InsufficientFunds),
        ..intent.clone()
    }
}

/// `intent` cancelled at the provider by its key (VOIDED), with the refund
/// of what the provider had charged, if anything.
pub fn voided(intent: &Payment, refund: Option<Refund>) -> Payment {
    Payment {
        status: PaymentStatus::Voided,
        refund,
        ..intent.clone()
    }
}

pub fn refund(order_id: Uuid, provider_ref: &str, at_offset_ms: i64) -> Refund {
    Refund {
        refund_id: refund_id(order_id),
        provider_ref: provider_ref.into(),
        amount: Decimal::from_str("1030.07").unwrap(),
        refunded_at: at_ms(at_offset_ms),
    }
}

/// Records `intent` for its (PROCESSING) order: it must be `Begun`, stored
/// as given.
pub async fn begin<S: Store>(store: &S, intent: &Payment) -> Payment {
    match store.begin_charge(intent).await.unwrap() {
        ChargeStart::Begun(p) => {
            assert_eq!(&p, intent);
            assert_eq!(
                store.get_payment(intent.order_id).await.unwrap().as_ref(),
                Some(intent)
            );
            p
        }
        other => panic!("charge not begun: {other:?}"),
    }
}

/// A PROCESSING order with its charge begun: its intent.
pub async fn charging<S: Store>(store: &S, offset_ms: i64) -> Payment {
    let o = create_processing(store, offset_ms).await;
    begin(store, &intent(o.order_id, offset_ms + 10)).await
}

/// Eight concurrent answers to the intent `charging`, half approved and
/// half declined; what each caller was told.
pub(crate) async fn racing_answers<S: Store>(store: &S, charging: &Payment) -> Vec<Payment> {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let status = if i % 2 == 0 {
                PaymentStatus::Charged
            } else {
                PaymentStatus::Declined
            };
            let p = answer(charging, status);
            tokio::spawn(async move { store.record_charge(&p).await.unwrap() })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("task"));
    }
    answers
}

/// The first answer recorded for a charge wins: later ones (even with
/// another result) get it back and change nothing, also when they race.
pub async fn payment_first_charge_wins<S: Store>(store: S) {
    let o = create_processing(&store, 0).await;
    let id = o.order_id;
    assert_eq!(store.get_payment(id).await.unwrap(), None);
    let started = begin(&store, &intent(id, 10)).await;
    let first = answer(&started, PaymentStatus::Charged);
    assert_eq!(store.record_charge(&first).await.unwrap(), first);
    let declined = answer(&started, PaymentStatus::Declined);
    assert_eq!(store.record_charge(&declined).await.unwrap(), first);
    assert_eq!(store.get_payment(id).await.unwrap(), Some(first.clone()));
    // Money keeps its exact text.
    let stored = store.get_payment(id).await.unwrap().unwrap();
    assert_eq!(stored.amount.to_string(), "1030.07");

    // Eight concurrent answers for another order, half declined: one wins,
    // and every caller is told the same.
    let other = charging(&store, 1).await;
    let answers = racing_answers(&store, &other).await;
    let stored = store
        .get_payment(other.order_id)
        .await
        .unwrap()
        .expect("a payment");
    assert!(
        stored == answer(&other, PaymentStatus::Charged)
            || stored == answer(&other, PaymentStatus::Declined),
        "{stored:?}"
    );
    assert!(answers.iter().all(|a| a == &stored), "{answers:?}");
    // The first order's payment is untouched by the other's.
    assert_eq!(store.get_payment(id).await.unwrap(), Some(first));
}

/// A charged payment is refunded once: a second refund returns the first
/// refund's record; an order without a payment has nothing to refund.
pub async fn payment_refund_once<S: Store>(store: S) {
    let started = charging(&store, 0).await;
    let id = started.order_id;
    // An intent not answered yet is not refunded (it is voided instead).
    assert_eq!(
        store
            .record_refund(id, &refund(id, "re_0", 500))
            .await
            .unwrap(),
        Some(started.clone())
    );
    let charged = answer(&started, PaymentStatus::Charged);
    store.record_charge(&charged).await.unwrap();
    let first = refund(id, "re_1", 1_000);
    let mut want = charged.clone();
    want.status = PaymentStatus::Refunded;
    want.refund = Some(first.clone());
    assert_eq!(
        store.record_refund(id, &first).await.unwrap(),
        Some(want.clone())
    );
    let second = refund(id, "re_2", 2_000);
    assert_eq!(
        store.record_refund(id, &second).await.unwrap(),
        Some(want.clone())
    );
    assert_eq!(store.get_payment(id).await.unwrap(), Some(want.clone()));
    // An answer after the refund changes nothing either.
    assert_eq!(store.record_charge(&charged).await.unwrap(), want);
    assert_eq!(store.get_payment(id).await.unwrap(), Some(want));

    let nobody = id_at(at_ms(1));
    assert_eq!(
        store
            .record_refund(nobody, &refund(nobody, "re_3", 1_000))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_payment(nobody).await.unwrap(), None);
}

/// A declined payment moved no money: a refund returns it unchanged.
pub async fn payment_refund_of_a_declined_charge_changes_nothing<S: Store>(store: S) {
    let started = charging(&store, 0).await;
    let id = started.order_id;
    let declined = answer(&started, PaymentStatus::Declined);
    assert_eq!(store.record_charge(&declined).await.unwrap(), declined);
    assert_eq!(
        store
            .record_refund(id, &refund(id, "re_1", 1_000))
            .await
            .unwrap(),
        Some(declined.clone())
    );
    assert_eq!(store.get_payment(id).await.unwrap(), Some(declined));
}

/// Attempts are counted per key from 1, durably and exactly under
/// concurrency.
pub async fn attempt_counter_counts_per_key<S: Store>(store: S) {
    let a = unique_key("charge");
    let b = unique_key("charge");
    for want in 1..=3 {
        assert_eq!(store.count_attempt(&a).await.unwrap(), Some(want));
    }
    assert_eq!(store.count_attempt(&b).await.unwrap(), Some(1));
    assert_eq!(store.count_attempt(&a).await.unwrap(), Some(4));

    let c = unique_key("race");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            let c = c.clone();
            tokio::spawn(async move { store.count_attempt(&c).await.unwrap() })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in tasks {
        seen.insert(t.await.unwrap().expect("a key never voided counts"));
    }
    assert_eq!(seen, (1..=10).collect::<HashSet<u32>>());
}
