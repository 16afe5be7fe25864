//! `POST /orders`: price, write once; an idempotency key makes a retry get
//! the first response back. The body is parsed and checked against the
//! contract's schema on the HTTP side (`orders-validation`), which hands
//! over a [`CreateOrderRequest`].

use crate::error::OrdersError;
use crate::idempotency::{self, IdempotencyRecord};
use crate::model::{new_order_id, Order, OrderItem, OrderStatus};
use crate::money;
use crate::ports::{CreateOutcome, OrderWriter};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Currency when the request names none.
pub const DEFAULT_CURRENCY: &str = "USD";

/// A create-order request that passed every rule, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    pub customer_id: String,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    /// E.164. Absent from the fingerprint when not given, so records written
    /// before the field existed still match their replays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_phone: Option<String>,
    pub currency: String,
    pub items: Vec<NewItem>,
    /// Absent from the fingerprint when not given (as `customerPhone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewItem {
    pub sku: String,
    pub quantity: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
}

impl CreateOrderRequest {
    /// The exact total: the sum of quantity × price, two places.
    pub fn total(&self) -> Decimal {
        money::to_money(
            self.items
                .iter()
                .map(|i| i.price * Decimal::from(i.quantity))
                .sum(),
        )
    }

    /// SHA-256 (hex) of the canonical request: two bodies that mean the same
    /// order (aliases, `10` vs `"10.00"`, key order) share a fingerprint.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("request serializes");
        hex(&Sha256::digest(canonical))
    }

    /// The new order, PENDING.
    pub fn into_order(self, order_id: Uuid, now: DateTime<Utc>) -> Order {
        let total = self.total();
        Order {
            order_id,
            customer_id: self.customer_id,
            customer_name: self.customer_name,
            customer_email: self.customer_email,
            customer_phone: self.customer_phone,
            items: self
                .items
                .into_iter()
                .map(|i| OrderItem {
                    line_total: money::to_money(i.price * Decimal::from(i.quantity)),
                    sku: i.sku,
                    quantity: i.quantity,
                    price: i.price,
                })
                .collect(),
            total,
            currency: self.currency,
            status: OrderStatus::Pending,
            status_reason: None,
            status_detail: None,
            payment_token: self.payment_token,
            compensation_started_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The status code stored with the first response of a key (a create).
const CREATED: u16 = 201;

/// A create's response: the first one, or its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    pub order_id: Uuid,
    pub status_code: u16,
    /// The JSON body, byte for byte what the first request got.
    pub body: String,
    pub replayed: bool,
}

/// Creates the order of `request` at `now` (its `createdAt`, to the
/// millisecond, and the instant its id encodes).
pub async fn create_order<W: OrderWriter + ?Sized>(
    store: &W,
    request: CreateOrderRequest,
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CreateResponse, OrdersError> {
    let key = idempotency_key.map(idempotency::validate_key).transpose()?;
    let fingerprint = key.map(|_| request.fingerprint());
    let (order_id, created_at) = new_order_id(now);
    let order = request.into_order(order_id, created_at);
    let body = serde_json::to_string(&order).expect("orders serialize");
    let record = key.zip(fingerprint.clone()).map(|(k, hash)| {
        IdempotencyRecord::new(k, hash, order_id, CREATED, body.clone(), created_at)
    });
    match store.create_order(&order, record.as_ref()).await? {
        CreateOutcome::Created => {
            tracing::info!(order_id = %order_id, items = order.items.len(), total = %order.total,
                currency = %order.currency, "order created");
            crate::metrics::order_created(&order_id.to_string(), order.total, &order.currency);
            Ok(CreateResponse {
                order_id,
                status_code: CREATED,
                body,
                replayed: false,
            })
        }
        CreateOutcome::KeyExists(existing)
            if Some(&existing.request_hash) == fingerprint.as_ref() =>
        {
            tracing::info!(order_id = %existing.order_id, "idempotent replay");
            Ok(CreateResponse {
                order_id: existing.order_id,
                status_code: existing.status_code,
                body: existing.response_body,
                replayed: true,
            })
        }
        CreateOutcome::KeyExists(existing) => {
            tracing::warn!(order_id = %existing.order_id, "idempotency key reused with another body");
            Err(OrdersError::IdempotencyKeyReused)
        }
    }
}
