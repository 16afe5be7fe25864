//! Stock records in the orders table (docs/data-model.md): one item per SKU,
//! `STOCK#<sku>` / `STOCK`, with `sku`, `available` and `reserved` (N) and
//! `updatedAt`; and [`StockAdmin`] on them (the admin command, stage
//! seeding). Also the reservation items' layout, which the inventory
//! module writes.
//!
//! Listing is a `Scan` filtered on `sk = STOCK` (consistent read), sorted
//! by SKU here: it reads the whole table, which is fine for an operator
//! command and keeps every reservation's stock write off an index (a
//! sparse GSI would put every stock item in one index partition, doubling
//! the write cost of each reservation line and risking GSI back-pressure
//! on the table when orders peak).

use crate::item::{corrupt, get_n, get_s, get_time, s, Item};
use crate::{classify, DynamoStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use orders_core::error::StoreError;
use orders_core::inventory::{Reservation, ReservationLine, StockLevel};
use orders_core::model::format_timestamp;
use orders_core::ports::StockAdmin;
use std::collections::HashMap;
use uuid::Uuid;

/// The sort key of every stock item.
pub(crate) const STOCK_SK: &str = "STOCK";

/// The key of a SKU's stock item.
pub fn stock_key(sku: &str) -> Item {
    HashMap::from([
        ("pk".to_string(), s(format!("STOCK#{sku}"))),
        ("sk".to_string(), s(STOCK_SK)),
    ])
}

pub(crate) fn n(v: u32) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn stock_from_item(item: &Item) -> Result<StockLevel, StoreError> {
    Ok(StockLevel {
        sku: get_s(item, "sku")?.to_string(),
        available: get_n(item, "available")?,
        reserved: get_n(item, "reserved")?,
        updated_at: get_time(item, "updatedAt")?,
    })
}

/// The key of an order's reservation item.
pub fn reservation_key(order_id: Uuid) -> Item {
    HashMap::from([
        ("pk".to_string(), s(format!("RESERVATION#{order_id}"))),
        ("sk".to_string(), s("RESERVATION")),
    ])
}

pub(crate) fn reservation_to_item(r: &Reservation) -> Item {
    let mut item = reservation_key(r.order_id);
    item.insert("orderId".into(), s(r.order_id.to_string()));
    item.insert("status".into(), s(r.status.as_str()));
    let lines = r
        .lines
        .iter()
        .map(|l| {
            AttributeValue::M(HashMap::from([
                ("sku".to_string(), s(&l.sku)),
                ("quantity".to_string(), n(l.quantity)),
            ]))
        })
        .collect();
    item.insert("lines".into(), AttributeValue::L(lines));
    item.insert("reservedAt".into(), s(format_timestamp(r.reserved_at)));
    if let Some(at) = r.released_at {
        item.insert("releasedAt".into(), s(format_timestamp(at)));
    }
    item
}

pub(crate) fn reservation_from_item(item: &Item) -> Result<Reservation, StoreError> {
    let lines = match item.get("lines") {
        Some(AttributeValue::L(list)) => list
            .iter()
            .map(|v| match v {
                AttributeValue::M(m) => Ok(ReservationLine {
                    sku: get_s(m, "sku")?.to_string(),
                    quantity: get_n(m, "quantity")?,
                }),
                _ => Err(corrupt("a reservation line is not a map")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(corrupt("lines is missing or not a list")),
    };
    Ok(Reservation {
        order_id: Uuid::try_parse(get_s(item, "orderId")?)
            .map_err(|_| corrupt("reservation orderId is not a UUID"))?,
        lines,
        status: get_s(item, "status")?.parse()?,
        reserved_at: get_time(item, "reservedAt")?,
        released_at: match item.get("releasedAt") {
            None => None,
            Some(_) => Some(get_time(item, "releasedAt")?),
        },
    })
}

#[async_trait]
impl StockAdmin for DynamoStore {
    async fn list_stock(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StockLevel>, StoreError> {
        let mut levels = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("sk = :stock")
                .expression_attribute_values(":stock", s(STOCK_SK))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| classify("Scan", &e))?;
            for item in out.items() {
                let level = stock_from_item(item)?;
                if after.is_none_or(|a| level.sku.as_str() > a) {
                    levels.push(level);
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        levels.sort_by(|a, b| a.sku.cmp(&b.sku));
        levels.truncate(limit as usize);
        Ok(levels)
    }

    async fn get_stock(&self, sku: &str) -> Result<Option<StockLevel>, StoreError> {
        self.get_consistent(stock_key(sku))
            .await?
            .as_ref()
            .map(stock_from_item)
            .transpose()
    }

    async fn set_stock(
        &self,
        sku: &str,
        available: u32,
        at: DateTime<Utc>,
    ) -> Result<StockLevel, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(stock_key(sku)))
            .update_expression(
                "SET sku = :sku, available = :available, \
                 reserved = if_not_exists(reserved, :zero), updatedAt = :at",
            )
            .expression_attribute_values(":sku", s(sku))
            .expression_attribute_values(":available", n(available))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":at", s(format_timestamp(at)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| classify("UpdateItem", &e))?;
        stock_from_item(
            out.attributes()
                .ok_or_else(|| corrupt("UpdateItem returned no stock item"))?,
        )
    }

    async fn seed_stock(
        &self,
        sku: &str,
        available: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut item = stock_key(sku);
        item.insert("sku".into(), s(sku));
        item.insert("available".into(), n(available));
        item.insert("reserved".into(), n(0));
        item.insert("updatedAt".into(), s(format_timestamp(at)));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify("PutItem", &e)),
        }
    }
}
