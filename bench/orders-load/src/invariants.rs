//! The saga's invariants over a snapshot of a host, once every order has
//! settled. Each broken one is a [`Violation`]; nothing panics, so the load
//! tool can count them and the tests can assert there are none.

use crate::mix::SCARCE;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

/// What the host holds, read through `GET /orders` (all pages) and
/// `/local/payments`, `/local/stock`, `/local/executions`,
/// `/local/notifications` (each with `limit=100000`).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub orders: Vec<Value>,
    pub payments: Vec<Value>,
    pub stock: Vec<Value>,
    pub executions: Vec<Value>,
    /// `(orderId, status)` → notifications sent.
    pub notifications: BTreeMap<(String, String), usize>,
}

/// The kinds of broken invariant, as the load tool prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Accepted (201) but not found, or not COMPLETED/FAILED.
    Lost,
    /// Two payment records, a charge not of the total, a refund of a
    /// completed order or not of the total, a failed order that kept its charge.
    DoubleCharged,
    /// Stock below zero, units appeared or vanished, reserved not what the
    /// completed orders hold.
    Stock,
    /// An order ended other than its token and stock say.
    Outcome,
    /// Not exactly one notification per status.
    Notification,
    /// An order without a SUCCEEDED execution, an execution that failed
    /// without an operator's re-run after it, or one still running.
    Execution,
}

/// What the run may have done besides the orders' own tokens and stock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditions {
    /// Injected task failures (`--saga-faults`): any order may end FAILED
    /// with `PROCESSING_ERROR` (with nothing kept), since its tasks may
    /// fail until their retries run out.
    pub faults: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub kind: Kind,
    pub detail: String,
}

/// Orders per final status and reason (`COMPLETED`, `FAILED OUT_OF_STOCK`, ...).
pub type Outcomes = BTreeMap<String, usize>;

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub outcomes: Outcomes,
    /// Accepted orders found COMPLETED or FAILED.
    pub terminal: usize,
    pub violations: Vec<Violation>,
}

impl Report {
    pub fn count(&self, kind: Kind) -> usize {
        self.violations.iter().filter(|v| v.kind == kind).count()
    }
}

/// What the stock of a SKU was before the run: units in all (available +
/// reserved) and reserved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StockBefore {
    pub total: u64,
    pub reserved: u64,
}

fn money(v: &Value) -> Option<Decimal> {
    v.as_str().and_then(|s| Decimal::from_str(s).ok())
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

struct Checker {
    report: Report,
}

impl Checker {
    fn fail(&mut self, kind: Kind, detail: String) {
        self.report.violations.push(Violation { kind, detail });
    }
    fn expect(&mut self, ok: bool, kind: Kind, detail: impl FnOnce() -> String) {
        if !ok {
            self.fail(kind, detail());
        }
    }
}

/// The order an execution runs for: its input's `orderId` (duplicates and
/// re-runs have names of their own), else its name.
pub fn execution_order(e: &Value) -> &str {
    e["input"]["orderId"]
        .as_str()
        .or(e["orderId"].as_str())
        .or(e["name"].as_str())
        .unwrap_or_default()
}

/// Checks every invariant for the orders `accepted` (their ids), with the
/// stock before the run. Orders, payments, executions and notifications of
/// other orders in the snapshot are ignored.
pub fn check(
    snap: &Snapshot,
    accepted: &BTreeSet<String>,
    before: &BTreeMap<String, StockBefore>,
) -> Report {
    check_under(snap, accepted, before, Conditions::default())
}

/// [`check`] for a run under `conditions`.
pub fn check_under(
    snap: &Snapshot,
    accepted: &BTreeSet<String>,
    before: &BTreeMap<String, StockBefore>,
    conditions: Conditions,
) -> Report {
    let mut c = Checker {
        report: Report::default(),
    };
    let mut paid: HashMap<&str, &Value> = HashMap::new();
    for p in &snap.payments {
        let id = s(&p["orderId"]);
        if accepted.contains(id) && paid.insert(id, p).is_some() {
            c.fail(Kind::DoubleCharged, format!("order {id} has two payments"));
        }
    }
    let orders: HashMap<&str, &Value> = snap
        .orders
        .iter()
        .map(|o| (s(&o["orderId"]), o))
        .filter(|(id, _)| accepted.contains(*id))
        .collect();
    let mut reserved_by_completed: BTreeMap<String, u64> = BTreeMap::new();
    for id in accepted {
        let Some(o) = orders.get(id.as_str()) else {
            c.fail(
                Kind::Lost,
                format!("order {id} was accepted but is not found"),
            );
            continue;
        };
        let status = s(&o["status"]);
        let reason = o["statusReason"].as_str();
        *c.report
            .outcomes
            .entry(
                format!("{status} {}", reason.unwrap_or(""))
                    .trim()
                    .to_string(),
            )
            .or_default() += 1;
        if !matches!(status, "COMPLETED" | "FAILED") {
            c.fail(Kind::Lost, format!("order {id} is still {status}"));
            continue;
        }
        c.report.terminal += 1;
        check_order(
            &mut c,
            o,
            paid.get(id.as_str()).copied(),
            &mut reserved_by_completed,
            conditions,
        );
        for st in ["PROCESSING", status] {
            let n = snap
                .notifications
                .get(&(id.clone(), st.to_string()))
                .copied();
            c.expect(n == Some(1), Kind::Notification, || {
                format!("order {id}: {n:?} {st} notifications, not 1")
            });
        }
    }
    let ours = snap
        .notifications
        .keys()
        .filter(|(id, _)| accepted.contains(id));
    let extra = ours.count().saturating_sub(2 * c.report.terminal);
    c.expect(extra == 0, Kind::Notification, || {
        format!("{extra} notifications of other statuses")
    });
    check_stock(&mut c, snap, before, &reserved_by_completed);
    check_executions(&mut c, snap, &orders);
    c.report
}

/// Every order has a SUCCEEDED execution, none is still running, and an
/// execution that failed (CompensationFailed: an operator's case) was
/// followed by one that succeeded. Duplicates (Express's at-least-once, a
/// redelivered event) may add executions; each must end SUCCEEDED too (as
/// `Superseded` when another decided the order).
fn check_executions(c: &mut Checker, snap: &Snapshot, orders: &HashMap<&str, &Value>) {
    let mut execs: HashMap<&str, Vec<&Value>> = HashMap::new();
    for e in &snap.executions {
        let id = execution_order(e);
        if orders.contains_key(id) {
            execs.entry(id).or_default().push(e);
        }
    }
    for id in orders.keys() {
        let mine = execs.get(id).map(Vec::as_slice).unwrap_or_default();
        let succeeded: Vec<&&Value> = mine.iter().filter(|e| e["status"] == "SUCCEEDED").collect();
        c.expect(!succeeded.is_empty(), Kind::Execution, || {
            format!("order {id}: no SUCCEEDED execution among {}", mine.len())
        });
        let last_success = succeeded.iter().map(|e| s(&e["startedAt"])).max();
        for e in mine.iter().filter(|e| e["status"] != "SUCCEEDED") {
            let rerun_after = last_success.is_some_and(|t| t > s(&e["startedAt"]));
            c.expect(
                e["status"] == "FAILED" && rerun_after,
                Kind::Execution,
                || format!("execution of {id}: {e}"),
            );
        }
    }
}

fn check_order(
    c: &mut Checker,
    o: &Value,
    payment: Option<&Value>,
    reserved_by_completed: &mut BTreeMap<String, u64>,
    conditions: Conditions,
) {
    let id = s(&o["orderId"]);
    let token = o["paymentToken"].as_str().unwrap_or("tok_approve");
    let total = money(&o["total"]);
    let items = o["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    let has_scarce = items.iter().any(|i| i["sku"] == SCARCE);
    let pay_status = payment.map(|p| s(&p["status"]));
    let refund = payment.and_then(|p| p.get("refund"));
    match (s(&o["status"]), o["statusReason"].as_str()) {
        ("COMPLETED", None) => {
            c.expect(
                !token.starts_with("tok_decline") && token != "tok_transient_always",
                Kind::Outcome,
                || format!("order {id} with {token} completed"),
            );
            c.expect(pay_status == Some("CHARGED"), Kind::DoubleCharged, || {
                format!("completed order {id}: payment {payment:?}")
            });
            let charged = payment.and_then(|p| money(&p["amount"]));
            c.expect(charged == total, Kind::DoubleCharged, || {
                format!("order {id}: charged {charged:?}, total {total:?}")
            });
            c.expect(refund.is_none(), Kind::DoubleCharged, || {
                format!("completed order {id} was refunded: {payment:?}")
            });
            for item in items {
                *reserved_by_completed
                    .entry(s(&item["sku"]).to_string())
                    .or_default() += item["quantity"].as_u64().unwrap_or(0);
            }
        }
        ("FAILED", Some("PAYMENT_DECLINED")) => {
            c.expect(token.starts_with("tok_decline"), Kind::Outcome, || {
                format!("order {id} with {token} declined")
            });
            c.expect(pay_status == Some("DECLINED"), Kind::DoubleCharged, || {
                format!("declined order {id}: payment {payment:?}")
            });
        }
        ("FAILED", Some("OUT_OF_STOCK")) => {
            let detail = s(&o["statusDetail"]);
            c.expect(has_scarce && detail.contains(SCARCE), Kind::Outcome, || {
                format!("order {id} out of stock: {detail}")
            });
            c.expect(pay_status == Some("REFUNDED"), Kind::DoubleCharged, || {
                format!("out-of-stock order {id}: charged, then refunded once? {payment:?}")
            });
            let refunded = refund.and_then(|r| money(&r["amount"]));
            c.expect(refunded == total, Kind::DoubleCharged, || {
                format!("order {id}: refunded {refunded:?}, total {total:?}")
            });
        }
        ("FAILED", Some("PROCESSING_ERROR")) => {
            c.expect(
                token == "tok_transient_always" || conditions.faults,
                Kind::Outcome,
                || format!("order {id} with {token} failed with a processing error"),
            );
            // Nothing kept: never charged, declined, refunded in full, or
            // an intent cancelled at the provider (refunded in full if it
            // had charged).
            c.expect(
                matches!(pay_status, None | Some("DECLINED" | "REFUNDED" | "VOIDED")),
                Kind::DoubleCharged,
                || format!("order {id} kept its charge: {payment:?}"),
            );
            if let Some(refunded) = refund.map(|r| money(&r["amount"])) {
                c.expect(refunded == total, Kind::DoubleCharged, || {
                    format!("order {id}: refunded {refunded:?}, total {total:?}")
                });
            }
            c.expect(
                pay_status != Some("REFUNDED") || refund.is_some(),
                Kind::DoubleCharged,
                || format!("order {id}: REFUNDED without a refund: {payment:?}"),
            );
        }
        other => c.fail(Kind::Outcome, format!("order {id} ended {other:?}")),
    }
}

fn check_stock(
    c: &mut Checker,
    snap: &Snapshot,
    before: &BTreeMap<String, StockBefore>,
    reserved_by_completed: &BTreeMap<String, u64>,
) {
    let mut seen = BTreeSet::new();
    for st in &snap.stock {
        let sku = s(&st["sku"]);
        let available = st["available"].as_i64().unwrap_or(-1);
        let reserved = st["reserved"].as_i64().unwrap_or(-1);
        c.expect(available >= 0 && reserved >= 0, Kind::Stock, || {
            format!("{sku} below zero: {st}")
        });
        let Some(b) = before.get(sku) else { continue };
        seen.insert(sku);
        let total = (available + reserved) as u64;
        c.expect(total == b.total, Kind::Stock, || {
            format!("{sku}: {total} units, {} before: {st}", b.total)
        });
        let want = b.reserved + reserved_by_completed.get(sku).copied().unwrap_or(0);
        c.expect(reserved as u64 == want, Kind::Stock, || {
            format!("{sku}: reserved {reserved}, the completed orders hold {want}")
        });
    }
    for sku in before.keys().filter(|k| !seen.contains(k.as_str())) {
        c.fail(Kind::Stock, format!("{sku} has no stock record"));
    }
}

#[cfg(test)]
mod tests;
