//! Orders and idempotency records to and from DynamoDB items
//! (docs/data-model.md). Money is written as two-decimal strings and read
//! back with `orders_core::money::parse_stored`: it never passes through a
//! float.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::idempotency::IdempotencyRecord;
use orders_core::model::{format_timestamp, parse_timestamp, Order, OrderItem, OrderStatus};
use orders_core::money::{parse_stored, to_money};
use rust_decimal::Decimal;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) type Item = HashMap<String, AttributeValue>;

const ORDER_SK: &str = "ORDER";
const RECORD_SK: &str = "IDEMPOTENCY";

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn money(d: Decimal) -> AttributeValue {
    AttributeValue::S(to_money(d).to_string())
}

/// The primary key of an order item.
pub fn order_key(order_id: Uuid) -> Item {
    HashMap::from([
        ("pk".to_string(), s(format!("ORDER#{order_id}"))),
        ("sk".to_string(), s(ORDER_SK)),
    ])
}

/// The primary key of an idempotency record item.
pub fn record_key(key: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), s(format!("IDEMPOTENCY#{key}"))),
        ("sk".to_string(), s(RECORD_SK)),
    ])
}

/// The sort key of every notification-ledger item.
const NOTIFICATION_SK: &str = "NOTIFICATION";

/// The primary key of the notification-ledger item of (order, status):
/// `NOTIFICATION#<orderId>#<STATUS>` / `NOTIFICATION`. It has no index
/// attributes, so no list ever sees it, and its sort key keeps it out of the
/// pipe's stream filter (`sk = ORDER`).
pub fn notification_key(order_id: Uuid, status: OrderStatus) -> Item {
    HashMap::from([
        (
            "pk".to_string(),
            s(format!("NOTIFICATION#{order_id}#{}", status.as_str())),
        ),
        ("sk".to_string(), s(NOTIFICATION_SK)),
    ])
}

/// `STATUS#<STATUS>#<nn>`: the `byStatus` partition of a shard.
pub(crate) fn status_partition(status: OrderStatus, shard: u8) -> String {
    format!("STATUS#{}#{shard:02}", status.as_str())
}

/// `ORDERS#<nn>`: the `byCreatedAt` partition of a shard.
pub(crate) fn all_partition(shard: u8) -> String {
    format!("ORDERS#{shard:02}")
}

/// The order item's saga fence ([`Order::compensation_started_at`]): set
/// once, by the conditional `UpdateItem` that begins compensation.
pub const COMPENSATION_STARTED_AT: &str = "compensationStartedAt";

pub(crate) fn order_to_item(o: &Order) -> Item {
    let shard = o.shard();
    let sort_key = o.sort_key();
    let mut item = order_key(o.order_id);
    item.insert("orderId".into(), s(o.order_id.to_string()));
    item.insert("customerId".into(), s(&o.customer_id));
    if let Some(name) = &o.customer_name {
        item.insert("customerName".into(), s(name));
    }
    if let Some(email) = &o.customer_email {
        item.insert("customerEmail".into(), s(email));
    }
    if let Some(phone) = &o.customer_phone {
        item.insert("customerPhone".into(), s(phone));
    }
    // For the stream → pipe → OrderCreated event, whose input template can
    // only copy attributes (docs/data-model.md).
    item.insert(
        "itemCount".into(),
        AttributeValue::N(
            o.items
                .iter()
                .map(|l| u64::from(l.quantity))
                .sum::<u64>()
                .to_string(),
        ),
    );
    let lines = o
        .items
        .iter()
        .map(|l| {
            AttributeValue::M(HashMap::from([
                ("sku".to_string(), s(&l.sku)),
                (
                    "quantity".to_string(),
                    AttributeValue::N(l.quantity.to_string()),
                ),
                ("price".to_string(), money(l.price)),
                ("lineTotal".to_string(), money(l.line_total)),
            ]))
        })
        .collect();
    item.insert("items".into(), AttributeValue::L(lines));
    item.insert("total".into(), money(o.total));
    item.insert("currency".into(), s(&o.currency));
    item.insert("status".into(), s(o.status.as_str()));
    if let Some(token) = &o.payment_token {
        item.insert("paymentToken".into(), s(token));
    }
    if let Some(detail) = &o.status_detail {
        item.insert("statusDetail".into(), s(detail));
    }
    if let Some(reason) = &o.status_reason {
        item.insert("statusReason".into(), s(reason));
    }
    if let Some(at) = o.compensation_started_at {
        item.insert(COMPENSATION_STARTED_AT.into(), s(format_timestamp(at)));
    }
    item.insert("createdAt".into(), s(format_timestamp(o.created_at)));
    item.insert("updatedAt".into(), s(format_timestamp(o.updated_at)));
    item.insert("gsi1pk".into(), s(status_partition(o.status, shard)));
    item.insert("gsi1sk".into(), s(&sort_key));
    item.insert("gsi2pk".into(), s(all_partition(shard)));
    item.insert("gsi2sk".into(), s(sort_key));
    item
}

pub(crate) fn record_to_item(r: &IdempotencyRecord) -> Item {
    let mut item = record_key(&r.key);
    item.insert("requestHash".into(), s(&r.request_hash));
    item.insert("orderId".into(), s(r.order_id.to_string()));
    item.insert(
        "statusCode".into(),
        AttributeValue::N(r.status_code.to_string()),
    );
    item.insert("responseBody".into(), s(&r.response_body));
    item.insert(
        "expiresAt".into(),
        AttributeValue::N(r.expires_at.to_string()),
    );
    item
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        Some(_) => Err(corrupt(&format!("{name} is not a string"))),
        None => Err(corrupt(&format!("{name} is missing"))),
    }
}

pub(crate) fn opt_s(item: &Item, name: &str) -> Result<Option<String>, StoreError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
        Some(_) => Err(corrupt(&format!("{name} is not a string"))),
    }
}

pub(crate) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| corrupt(&format!("{name} is out of range"))),
        Some(_) => Err(corrupt(&format!("{name} is not a number"))),
        None => Err(corrupt(&format!("{name} is missing"))),
    }
}

fn get_money(item: &Item, name: &str) -> Result<Decimal, StoreError> {
    parse_stored(get_s(item, name)?).ok_or_else(|| corrupt(&format!("{name} is not a decimal")))
}

pub(crate) fn get_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_timestamp(get_s(item, name)?)
        .ok_or_else(|| corrupt(&format!("{name} is not a timestamp")))
}

pub(crate) fn order_from_item(item: &Item) -> Result<Order, StoreError> {
    let order_id =
        Uuid::try_parse(get_s(item, "orderId")?).map_err(|_| corrupt("orderId is not a UUID"))?;
    let lines = match item.get("items") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::M(m) => Ok(OrderItem {
                    sku: get_s(m, "sku")?.to_string(),
                    quantity: get_n(m, "quantity")?,
                    price: get_money(m, "price")?,
                    line_total: get_money(m, "lineTotal")?,
                }),
                _ => Err(corrupt("an order line is not a map")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(corrupt("items is missing or not a list")),
    };
    let status = get_s(item, "status")?
        .parse::<OrderStatus>()
        .map_err(|_| corrupt("status is unknown"))?;
    Ok(Order {
        order_id,
        customer_id: get_s(item, "customerId")?.to_string(),
        customer_name: opt_s(item, "customerName")?,
        customer_email: opt_s(item, "customerEmail")?,
        customer_phone: opt_s(item, "customerPhone")?,
        items: lines,
        total: get_money(item, "total")?,
        currency: get_s(item, "currency")?.to_string(),
        status,
        status_reason: opt_s(item, "statusReason")?,
        status_detail: opt_s(item, "statusDetail")?,
        payment_token: opt_s(item, "paymentToken")?,
        compensation_started_at: item
            .contains_key(COMPENSATION_STARTED_AT)
            .then(|| get_time(item, COMPENSATION_STARTED_AT))
            .transpose()?,
        created_at: get_time(item, "createdAt")?,
        updated_at: get_time(item, "updatedAt")?,
    })
}

pub(crate) fn record_from_item(item: &Item) -> Result<IdempotencyRecord, StoreError> {
    let pk = get_s(item, "pk")?;
    let key = pk
        .strip_prefix("IDEMPOTENCY#")
        .ok_or_else(|| corrupt("idempotency pk has no IDEMPOTENCY# prefix"))?;
    Ok(IdempotencyRecord {
        key: key.to_string(),
        request_hash: get_s(item, "requestHash")?.to_string(),
        order_id: Uuid::try_parse(get_s(item, "orderId")?)
            .map_err(|_| corrupt("idempotency orderId is not a UUID"))?,
        status_code: get_n(item, "statusCode")?,
        response_body: get_s(item, "responseBody")?.to_string(),
        expires_at: get_n(item, "expiresAt")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::model::OrderItem;

    #[test]
    fn an_order_item_reads_back_whatever_status_event_it_carries() {
        let at = parse_timestamp("2026-11-22T02:01:33.123Z").unwrap();
        let order = Order {
            order_id: Uuid::now_v7(),
            customer_id: "c1".into(),
            customer_name: None,
            customer_email: None,
            customer_phone: None,
            items: vec![OrderItem {
                sku: "A".into(),
                quantity: 1,
                price: Decimal::new(150, 2),
                line_total: Decimal::new(150, 2),
            }],
            total: Decimal::new(150, 2),
            currency: "EUR".into(),
            status: OrderStatus::Failed,
            status_reason: Some("OUT_OF_STOCK".into()),
            status_detail: Some("out of stock: A".into()),
            payment_token: Some("tok_approve".into()),
            compensation_started_at: None,
            created_at: at,
            updated_at: at,
        };
        let mut item = order_to_item(&order);
        assert_eq!(order_from_item(&item).unwrap(), order);
        // The transition's event document rides on the item for the stream.
        item.insert(
            "statusEvent".into(),
            s(r#"{"eventType":"OrderStatusChanged"}"#),
        );
        assert_eq!(order_from_item(&item).unwrap(), order);
    }
}
