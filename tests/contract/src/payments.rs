//! Cases of the payment records ([`PaymentLedger`], [`AttemptCounter`]).
//!
//! [`PaymentLedger`]: orders_core::payments::PaymentLedger
//! [`AttemptCounter`]: orders_core::payments::AttemptCounter

use crate::fixtures::*;
use crate::Store;
use orders_core::payments::{payment_id, refund_id, DeclineCode, Payment, PaymentStatus, Refund};
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::str::FromStr;
use uuid::Uuid;

/// A payment of `order_id` as the charge step records it.
pub fn payment(order_id: Uuid, status: PaymentStatus, at_offset_ms: i64) -> Payment {
    let approved = status == PaymentStatus::Charged;
    Payment {
        payment_id: payment_id(order_id),
        order_id,
        amount: Decimal::from_str("1030.07").unwrap(),
        currency: "EUR".into(),
        status,
        provider_ref: approved.then(|| format!("ch_sim_{}", order_id.simple())),
        decline_code: (!approved).then_some(DeclineCode::InsufficientFunds),
        refund: None,
        created_at: at_ms(at_offset_ms),
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

/// The first charge recorded for an order wins: later ones (even with
/// another result) get it back and change nothing, also when they race.
pub async fn payment_first_charge_wins<S: Store>(store: S) {
    let id = id_at(at_ms(0));
    assert_eq!(store.get_payment(id).await.unwrap(), None);
    let first = payment(id, PaymentStatus::Charged, 10);
    assert_eq!(store.record_charge(&first).await.unwrap(), first);
    let declined = payment(id, PaymentStatus::Declined, 20);
    assert_eq!(store.record_charge(&declined).await.unwrap(), first);
    assert_eq!(store.get_payment(id).await.unwrap(), Some(first.clone()));
    // Money keeps its exact text.
    let stored = store.get_payment(id).await.unwrap().unwrap();
    assert_eq!(stored.amount.to_string(), "1030.07");

    // Eight concurrent charges of another order, half declined: one wins,
    // and every caller is told the same.
    let other = id_at(at_ms(1));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let status = if i % 2 == 0 {
                PaymentStatus::Charged
            } else {
                PaymentStatus::Declined
            };
            let p = payment(other, status, 100 + i);
            tokio::spawn(async move { store.record_charge(&p).await.unwrap() })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let stored = store.get_payment(other).await.unwrap().expect("a payment");
    assert!(answers.iter().all(|a| a == &stored), "{answers:?}");
    // The first order's payment is untouched by the other's.
    assert_eq!(store.get_payment(id).await.unwrap(), Some(first));
}

/// A charged payment is refunded once: a second refund returns the first
/// refund's record; an order without a payment has nothing to refund.
pub async fn payment_refund_once<S: Store>(store: S) {
    let id = id_at(at_ms(0));
    let charged = payment(id, PaymentStatus::Charged, 10);
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
    assert_eq!(store.get_payment(id).await.unwrap(), Some(want));
    // A charge after the refund changes nothing either.
    let recharge = payment(id, PaymentStatus::Charged, 3_000);
    assert_eq!(
        store.record_charge(&recharge).await.unwrap().status,
        PaymentStatus::Refunded
    );

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
    let id = id_at(at_ms(0));
    let declined = payment(id, PaymentStatus::Declined, 10);
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
        assert_eq!(store.count_attempt(&a).await.unwrap(), want);
    }
    assert_eq!(store.count_attempt(&b).await.unwrap(), 1);
    assert_eq!(store.count_attempt(&a).await.unwrap(), 4);

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
        seen.insert(t.await.unwrap());
    }
    assert_eq!(seen, (1..=10).collect::<HashSet<u32>>());
}
