use super::*;
use serde_json::json;

fn completed(id: &str) -> Value {
    json!({"orderId": id, "status": "COMPLETED", "total": "4.99",
               "items": [{"sku": "widget", "quantity": 1}]})
}

fn good() -> (Snapshot, BTreeSet<String>, BTreeMap<String, StockBefore>) {
    let mut notifications = BTreeMap::new();
    for st in ["PROCESSING", "COMPLETED"] {
        notifications.insert(("o1".to_string(), st.to_string()), 1);
    }
    let snap = Snapshot {
        orders: vec![completed("o1")],
        payments: vec![json!({"orderId": "o1", "status": "CHARGED", "amount": "4.99"})],
        stock: vec![json!({"sku": "widget", "available": 9, "reserved": 1})],
        executions: vec![json!({"name": "o1", "status": "SUCCEEDED"})],
        notifications,
    };
    let before = BTreeMap::from([(
        "widget".to_string(),
        StockBefore {
            total: 10,
            reserved: 0,
        },
    )]);
    (snap, BTreeSet::from(["o1".to_string()]), before)
}

#[test]
fn a_good_run_has_no_violations() {
    let (snap, accepted, before) = good();
    let r = check(&snap, &accepted, &before);
    assert_eq!(r.violations, []);
    assert_eq!(r.terminal, 1);
}

#[test]
fn every_kind_is_caught() {
    let (mut snap, mut accepted, before) = good();
    accepted.insert("o2".into());
    snap.payments
        .push(json!({"orderId": "o1", "status": "CHARGED", "amount": "4.99"}));
    snap.stock[0]["available"] = json!(10);
    let r = check(&snap, &accepted, &before);
    assert_eq!(r.count(Kind::Lost), 1, "{r:?}");
    assert_eq!(r.count(Kind::DoubleCharged), 1, "{r:?}");
    assert_eq!(r.count(Kind::Stock), 1, "{r:?}");
}

#[test]
fn a_failed_execution_needs_a_later_success() {
    let (mut snap, accepted, before) = good();
    snap.executions = vec![
        json!({"name": "o1", "input": {"orderId": "o1"}, "status": "FAILED",
                   "startedAt": "2026-12-06T08:00:00.000Z"}),
        json!({"name": "o1~dup", "input": {"orderId": "o1"}, "status": "SUCCEEDED",
                   "startedAt": "2026-12-06T07:59:59.000Z"}),
    ];
    assert_eq!(check(&snap, &accepted, &before).count(Kind::Execution), 1);
    snap.executions
        .push(json!({"name": "o1~operator", "input": {"orderId": "o1"},
            "status": "SUCCEEDED", "startedAt": "2026-12-06T08:05:00.000Z"}));
    assert_eq!(check(&snap, &accepted, &before).violations, []);
    snap.executions
        .push(json!({"name": "o1~x", "input": {"orderId": "o1"},
            "status": "RUNNING", "startedAt": "2026-12-06T08:06:00.000Z"}));
    assert_eq!(check(&snap, &accepted, &before).count(Kind::Execution), 1);
}

#[test]
fn a_processing_error_keeps_no_money() {
    let (mut snap, accepted, before) = good();
    snap.orders[0]["status"] = json!("FAILED");
    snap.orders[0]["statusReason"] = json!("PROCESSING_ERROR");
    snap.stock[0] = json!({"sku": "widget", "available": 10, "reserved": 0});
    snap.notifications = BTreeMap::from([
        (("o1".to_string(), "PROCESSING".to_string()), 1),
        (("o1".to_string(), "FAILED".to_string()), 1),
    ]);
    let faults = Conditions { faults: true };
    let run = |snap: &Snapshot| check_under(snap, &accepted, &before, faults);
    // Charged and kept: caught; the token alone is no violation under faults.
    assert_eq!(run(&snap).count(Kind::DoubleCharged), 1, "{:?}", run(&snap));
    assert_eq!(run(&snap).count(Kind::Outcome), 0);
    assert_eq!(check(&snap, &accepted, &before).count(Kind::Outcome), 1);
    for (payment, bad) in [
        (
            json!({"orderId": "o1", "status": "REFUNDED", "amount": "4.99",
                    "refund": {"amount": "4.99"}}),
            0,
        ),
        (
            json!({"orderId": "o1", "status": "VOIDED", "amount": "4.99"}),
            0,
        ),
        (
            json!({"orderId": "o1", "status": "VOIDED", "amount": "4.99",
                    "refund": {"amount": "4.99"}}),
            0,
        ),
        (
            json!({"orderId": "o1", "status": "REFUNDED", "amount": "4.99",
                    "refund": {"amount": "1.00"}}),
            1,
        ),
        (
            json!({"orderId": "o1", "status": "CHARGING", "amount": "4.99"}),
            1,
        ),
        (
            json!({"orderId": "o1", "status": "REFUNDED", "amount": "4.99"}),
            1,
        ),
    ] {
        snap.payments = vec![payment.clone()];
        assert_eq!(run(&snap).count(Kind::DoubleCharged), bad, "{payment}");
    }
}
