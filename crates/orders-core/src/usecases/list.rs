//! `GET /orders`: its query parameters, checked, and one page.

use crate::error::{FieldError, OrdersError};
use crate::model::{Order, OrderStatus};
use crate::pagination;
use crate::ports::{ListQuery, OrderLister, SortOrder};
use serde::Serialize;

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

/// One page of the query `req`; its `nextToken` resumes the same query.
pub async fn list_orders<L: OrderLister + ?Sized>(
    store: &L,
    req: &ListRequest,
) -> Result<OrdersPage, OrdersError> {
    let after = req
        .next_token
        .as_deref()
        .map(|t| pagination::decode(t, req.status, req.order))
        .transpose()?;
    let query = ListQuery {
        status: req.status,
        limit: req.limit,
        order: req.order,
        after,
    };
    let page = store.list_orders(&query).await?;
    let next_token = match (page.has_more, page.orders.last()) {
        (true, Some(last)) => Some(pagination::encode(req.status, req.order, &last.sort_key())),
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
}
