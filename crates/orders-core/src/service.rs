//! The use cases. Handlers call these with what they took from the event and
//! turn the result into a response; no business rule lives in a handler.

use crate::error::{FieldError, OrdersError};
use crate::idempotency::{self, IdempotencyRecord};
use crate::model::{new_order_id, Order, OrderStatus};
use crate::pagination::PageTokens;
use crate::ports::{CreateOutcome, ListQuery, OrderLister, OrderReader, OrderWriter, SortOrder};
use crate::validation::validate_create_order;
use serde::Serialize;
use uuid::Uuid;

/// A create's response: the first one, or its replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    pub order_id: Uuid,
    pub status_code: u16,
    /// The JSON body, byte for byte what the first request got.
    pub body: String,
    pub replayed: bool,
}

/// `POST /orders`: validate, price, write once.
pub async fn create_order<W: OrderWriter + ?Sized>(
    store: &W,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<CreateResponse, OrdersError> {
    let key = idempotency_key.map(idempotency::validate_key).transpose()?;
    let request = validate_create_order(body)?;
    let fingerprint = key.map(|_| request.fingerprint());
    let (order_id, now) = new_order_id();
    let order = request.into_order(order_id, now);
    let body = serde_json::to_string(&order).expect("orders serialize");
    let record = key
        .zip(fingerprint.clone())
        .map(|(k, hash)| IdempotencyRecord::new(k, hash, order_id, 201, body.clone(), now));
    match store.create_order(&order, record.as_ref()).await? {
        CreateOutcome::Created => {
            tracing::info!(order_id = %order_id, items = order.items.len(), total = %order.total,
                currency = %order.currency, "order created");
            crate::metrics::order_created(&order_id.to_string(), order.total, &order.currency);
            Ok(CreateResponse {
                order_id,
                status_code: 201,
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

/// Parses an order id from a path.
pub fn parse_order_id(raw: &str) -> Result<Uuid, OrdersError> {
    Uuid::try_parse(raw).map_err(|_| {
        OrdersError::invalid(
            "orderId",
            "must be a UUID such as 019a1b2c-3d4e-7f00-8123-456789abcdef",
        )
    })
}

/// `GET /orders/{orderId}`.
pub async fn get_order<R: OrderReader + ?Sized>(
    store: &R,
    raw_id: &str,
) -> Result<Order, OrdersError> {
    let id = parse_order_id(raw_id)?;
    store
        .get_order(id)
        .await?
        .ok_or_else(|| OrdersError::NotFound(id.to_string()))
}

/// Parameters of `GET /orders`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    pub status: Option<OrderStatus>,
    pub limit: u32,
    pub order: SortOrder,
    pub next_token: Option<String>,
}

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Reads `status`, `limit`, `sortOrder`, `nextToken` from query parameters.
/// Unknown or repeated parameters and bad values are each reported.
pub fn parse_list_request<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<ListRequest, OrdersError> {
    let mut req = ListRequest {
        status: None,
        limit: DEFAULT_LIMIT,
        order: SortOrder::Desc,
        next_token: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in params {
        if seen.contains(&name) {
            problems.push(FieldError::new(name, "must be given at most once"));
            continue;
        }
        seen.push(name);
        match name {
            "status" => match value.parse::<OrderStatus>() {
                Ok(s) => req.status = Some(s),
                Err(e) => problems.push(FieldError::new(name, e.to_string())),
            },
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => req.limit = n,
                _ => problems.push(FieldError::new(
                    name,
                    format!("must be an integer from 1 to {MAX_LIMIT}"),
                )),
            },
            "sortOrder" => match value {
                "asc" => req.order = SortOrder::Asc,
                "desc" => req.order = SortOrder::Desc,
                _ => problems.push(FieldError::new(name, "must be asc or desc")),
            },
            "nextToken" => req.next_token = Some(value.to_string()),
            _ => problems.push(FieldError::new(
                name,
                "is not a known query parameter (status, limit, sortOrder, nextToken)",
            )),
        }
    }
    if problems.is_empty() {
        Ok(req)
    } else {
        Err(OrdersError::Validation(problems))
    }
}

/// A page of `GET /orders`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrdersPage {
    pub orders: Vec<Order>,
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `GET /orders`.
pub async fn list_orders<L: OrderLister + ?Sized>(
    store: &L,
    tokens: &PageTokens,
    req: &ListRequest,
) -> Result<OrdersPage, OrdersError> {
    let after = req
        .next_token
        .as_deref()
        .map(|t| tokens.decode(t, req.status, req.order))
        .transpose()?;
    let query = ListQuery {
        status: req.status,
        limit: req.limit,
        order: req.order,
        after,
    };
    let page = store.list_orders(&query).await?;
    let next_token = match (page.has_more, page.orders.last()) {
        (true, Some(last)) => Some(tokens.encode(req.status, req.order, &last.sort_key())),
        _ => None,
    };
    Ok(OrdersPage {
        count: page.orders.len(),
        orders: page.orders,
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters() {
        let r = parse_list_request([("status", "PENDING"), ("limit", "5"), ("sortOrder", "asc")])
            .unwrap();
        assert_eq!(r.status, Some(OrderStatus::Pending));
        assert_eq!(r.limit, 5);
        assert_eq!(r.order, SortOrder::Asc);
        let d = parse_list_request([]).unwrap();
        assert_eq!((d.status, d.limit, d.order), (None, 20, SortOrder::Desc));
        for bad in [
            ("status", "pending"),
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "x"),
            ("limit", "-1"),
            ("sortOrder", "up"),
            ("colour", "red"),
        ] {
            let Err(OrdersError::Validation(d)) = parse_list_request([bad]) else {
                panic!("{bad:?}")
            };
            assert_eq!(d[0].field, bad.0);
        }
        assert!(parse_list_request([("limit", "1"), ("limit", "2")]).is_err());
    }

    #[test]
    fn order_ids() {
        assert!(parse_order_id("not-a-uuid").is_err());
        assert!(parse_order_id("019a1b2c-3d4e-7f00-8123-456789abcdef").is_ok());
    }
}
