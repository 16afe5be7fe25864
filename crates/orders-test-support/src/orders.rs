//! Orders, ids, instants and records to feed the tests.

use chrono::{DateTime, TimeZone, Utc};
use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::{shard_of, Order, OrderItem, OrderStatus, STATUS_SHARDS};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::{NoContext, Timestamp, Uuid};

/// A fixed instant with milliseconds (stores keep millisecond precision).
pub fn base_time() -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_795_000_000_123).unwrap()
}

pub fn at_ms(offset_ms: i64) -> DateTime<Utc> {
    base_time() + chrono::Duration::milliseconds(offset_ms)
}

pub fn now_epoch() -> i64 {
    Utc::now().timestamp()
}

/// A UUID v7 for `created_at` whose write shard is `shard`.
pub fn id_in_shard(created_at: DateTime<Utc>, shard: u8) -> Uuid {
    let ts = Timestamp::from_unix(
        NoContext,
        created_at.timestamp() as u64,
        created_at.timestamp_subsec_nanos(),
    );
    let mut bytes = *Uuid::new_v7(ts).as_bytes();
    bytes[15] = bytes[15] - bytes[15] % STATUS_SHARDS + shard;
    let id = Uuid::from_bytes(bytes);
    assert_eq!(shard_of(id), shard);
    id
}

/// A UUID v7 for `created_at` in a random shard.
pub fn id_at(created_at: DateTime<Utc>) -> Uuid {
    let ts = Timestamp::from_unix(
        NoContext,
        created_at.timestamp() as u64,
        created_at.timestamp_subsec_nanos(),
    );
    Uuid::new_v7(ts)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// An order with every optional field set and awkward money values.
pub fn full_order(created_at: DateTime<Utc>) -> Order {
    Order {
        order_id: id_at(created_at),
        customer_id: "cust-42".into(),
        customer_name: Some("Zoë O'Brien \"quoted\" #1".into()),
        customer_email: Some("zoe@example.com".into()),
        customer_phone: Some("+447700900123".into()),
        items: vec![
            OrderItem {
                sku: "SKU-A".into(),
                quantity: 3,
                price: dec("333.33"),
                line_total: dec("999.99"),
            },
            OrderItem {
                sku: "SKU-B#2".into(),
                quantity: 1,
                price: dec("29.98"),
                line_total: dec("29.98"),
            },
            OrderItem {
                sku: "FREE".into(),
                quantity: 2,
                price: dec("0.00"),
                line_total: dec("0.00"),
            },
            OrderItem {
                sku: "DIME".into(),
                quantity: 1,
                price: dec("0.10"),
                line_total: dec("0.10"),
            },
        ],
        total: dec("1030.07"),
        currency: "EUR".into(),
        status: OrderStatus::Failed,
        status_reason: Some("PAYMENT_DECLINED".into()),
        status_detail: Some("payment declined: insufficient_funds".into()),
        payment_token: Some("tok_decline_insufficient_funds".into()),
        compensation_started_at: None,
        created_at,
        updated_at: created_at + chrono::Duration::milliseconds(1_001),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A minimal order (no optional fields) with the given id and status.
pub fn order(order_id: Uuid, created_at: DateTime<Utc>, status: OrderStatus) -> Order {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Order {
        order_id,
        customer_id: format!("cust-{n}"),
        customer_name: None,
        customer_email: None,
        customer_phone: None,
        items: vec![OrderItem {
            sku: format!("SKU-{n}"),
            quantity: 1,
            price: dec("19.99"),
            line_total: dec("19.99"),
        }],
        total: dec("19.99"),
        currency: "USD".into(),
        status,
        status_reason: (status == OrderStatus::Failed).then(|| "OUT_OF_STOCK".to_string()),
        status_detail: None,
        payment_token: None,
        compensation_started_at: None,
        created_at,
        updated_at: created_at,
    }
}

/// A record for `order` under `key` expiring at `expires_at`.
pub fn record(key: &str, order: &Order, hash: &str, expires_at: i64) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.to_string(),
        request_hash: hash.to_string(),
        order_id: order.order_id,
        status_code: 201,
        response_body: format!(
            "{{\"orderId\":\"{}\",\"total\":\"{}\"}}",
            order.order_id, order.total
        ),
        expires_at,
    }
}

/// A unique idempotency key.
pub fn unique_key(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::now_v7())
}

/// `count` orders from `start`, one second apart, with the statuses
/// `status(i)` (written straight into a store: the API only creates
/// PENDING ones).
pub fn orders_over_time(
    start: DateTime<Utc>,
    count: usize,
    status: impl Fn(usize) -> OrderStatus,
) -> Vec<Order> {
    (0..count)
        .map(|i| {
            let t = start + chrono::Duration::seconds(i as i64);
            order(id_at(t), t, status(i))
        })
        .collect()
}

/// A valid create body: one line of `qty` x `price` of `SKU-1`.
pub fn order_body(customer: &str, qty: u32, price: &str) -> String {
    format!(
        r#"{{"customerId":"{customer}","items":[{{"sku":"SKU-1","quantity":{qty},"price":"{price}"}}]}}"#
    )
}
