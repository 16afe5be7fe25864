//! `POST /orders`: validate, price, write once; an idempotency key makes a
//! retry get the first response back.

use crate::error::OrdersError;
use crate::idempotency::{self, IdempotencyRecord};
use crate::model::new_order_id;
use crate::ports::{CreateOutcome, OrderWriter};
use crate::validation::validate_create_order;
use chrono::{DateTime, Utc};
use uuid::Uuid;

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

/// Creates the order of `body` at `now` (its `createdAt`, to the
/// millisecond, and the instant its id encodes).
pub async fn create_order<W: OrderWriter + ?Sized>(
    store: &W,
    body: &[u8],
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CreateResponse, OrdersError> {
    let key = idempotency_key.map(idempotency::validate_key).transpose()?;
    let request = validate_create_order(body)?;
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
