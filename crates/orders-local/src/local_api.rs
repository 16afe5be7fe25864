//! The local-only resources: `GET /local/notifications[?orderId=&limit=]`
//! (what the customer was sent), `GET /local/queues` (queue depths and dead
//! letters), the saga's `GET /local/executions[?status=&limit=]` and
//! `GET /local/executions/{name}` (an order id, or `<orderId>~<suffix>` for
//! a duplicate or a re-run; with the state history),
//! `GET /local/payments[?orderId=&limit=]`, `GET /local/stock`,
//! `GET /local/reservations[?orderId=&limit=]`, the status page's
//! `GET /local/summary` (orders per status, outbox, queues) and
//! `GET /local/orders/{orderId}` (an order with everything about it), and
//! `GET /health`. Queues: [`crate::local_queues`].

use crate::errors::{error_answer, json_answer, not_found};
use crate::local_queues;
use crate::routes::Route;
use crate::state::AppState;
use axum::response::Response;
use http::StatusCode;
use orders_core::ports::OrderReader;
use orders_core::ports::PaymentLedger;
use orders_core::ports::StockAdmin;
use orders_core::OrdersError;
use orders_local_aws::notifier::list_sent_notifications;
use orders_local_sfn::{ExecutionStatus, ListFilter};
use serde_json::{json, Map, Value};

/// The notifications, reservations an order detail lists at most.
const DETAIL_LIMIT: usize = 100;

pub(crate) fn health() -> Response {
    json_answer(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
}

pub(crate) async fn local_resource(
    state: &AppState,
    route: &Route,
    query: Option<&str>,
    request_id: &str,
) -> Response {
    let result = match route {
        Route::Notifications => local_notifications(state, query).await,
        Route::Executions => local_executions(state, query).await,
        Route::Execution(id) => local_execution(state, id).await,
        Route::Payments => local_payments(state, query).await,
        Route::Stock => local_stock(state).await,
        Route::Summary => local_summary(state).await,
        Route::Reservations => local_reservations(state, query).await,
        Route::OrderDetail(id) => local_order(state, id).await,
        Route::DeadLetters(name) => match local_queues::dead_letters(state, name).await {
            Ok(None) => return not_found(request_id),
            other => other.map(Option::unwrap_or_default),
        },
        _ => local_queues::depths(state).await,
    };
    answer(result, request_id)
}

/// 200 with `body`, or the error.
pub(crate) fn answer(result: Result<Value, OrdersError>, request_id: &str) -> Response {
    match result {
        Ok(body) => json_answer(StatusCode::OK, body.to_string()),
        Err(e) => error_answer(&e, request_id),
    }
}

/// The query parameters of a local listing: `orderId`, `status` (where
/// `statuses` names the allowed ones) and `limit` (1 to 100000).
struct ListParams {
    order_id: Option<uuid::Uuid>,
    status: Option<String>,
    limit: usize,
}

fn list_params(query: Option<&str>, statuses: &[&str]) -> Result<ListParams, OrdersError> {
    let mut out = ListParams {
        order_id: None,
        status: None,
        limit: 100,
    };
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "orderId" => out.order_id = Some(orders_core::model::parse_order_id(&v)?),
            "status" if !statuses.is_empty() => {
                if !statuses.contains(&&*v) {
                    return Err(OrdersError::invalid(
                        "status",
                        format!("must be one of {}", statuses.join(", ")),
                    ));
                }
                out.status = Some(v.into_owned());
            }
            "limit" => {
                out.limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| {
                        OrdersError::invalid("limit", "must be an integer from 1 to 100000")
                    })?
            }
            other => {
                return Err(OrdersError::invalid(
                    other,
                    "is not a known query parameter (orderId, limit)",
                ))
            }
        }
    }
    Ok(out)
}

async fn local_notifications(state: &AppState, query: Option<&str>) -> Result<Value, OrdersError> {
    let p = list_params(query, &[])?;
    let sent = list_sent_notifications(&state.store, p.order_id, p.limit).await?;
    Ok(json!({ "count": sent.len(), "notifications": sent }))
}

fn executor_error(e: orders_local_sfn::ExecutorError) -> OrdersError {
    OrdersError::Store(orders_core::StoreError::Other(e.to_string()))
}

async fn local_executions(state: &AppState, query: Option<&str>) -> Result<Value, OrdersError> {
    let p = list_params(query, &["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"])?;
    let filter = ListFilter {
        status: p.status.as_deref().and_then(ExecutionStatus::parse),
        limit: p.limit,
    };
    let executions = state.executor.list(filter).await.map_err(executor_error)?;
    Ok(json!({ "count": executions.len(), "executions": executions }))
}

/// An execution's name: the order's id, or the order's id, `~` and a
/// suffix (`dup` for an injected duplicate, `operator` for a re-run).
fn parse_execution_name(raw: &str) -> Result<String, OrdersError> {
    let (id, suffix) = match raw.split_once('~') {
        Some((id, suffix)) => (id, Some(suffix)),
        None => (raw, None),
    };
    let id = orders_core::model::parse_order_id(id)?;
    match suffix {
        None => Ok(id.to_string()),
        Some(s)
            if !s.is_empty()
                && s.len() <= 40
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            Ok(format!("{id}~{s}"))
        }
        Some(_) => Err(OrdersError::invalid(
            "executionName",
            "must be an order id, optionally followed by ~ and up to 40 letters, digits or dashes",
        )),
    }
}

async fn local_execution(state: &AppState, raw_name: &str) -> Result<Value, OrdersError> {
    let name = parse_execution_name(raw_name)?;
    let detail = state
        .executor
        .get(&name)
        .await
        .map_err(executor_error)?
        .ok_or_else(|| OrdersError::NotFound(name.clone()))?;
    Ok(json!(detail))
}

async fn local_payments(state: &AppState, query: Option<&str>) -> Result<Value, OrdersError> {
    let p = list_params(query, &[])?;
    let payments = match p.order_id {
        Some(id) => state.store.get_payment(id).await?.into_iter().collect(),
        None => state.store.list_payments(p.limit).await?,
    };
    Ok(json!({ "count": payments.len(), "payments": payments }))
}

async fn local_stock(state: &AppState) -> Result<Value, OrdersError> {
    let mut stock = Vec::new();
    loop {
        let after = stock
            .last()
            .map(|s: &orders_core::inventory::StockLevel| s.sku.clone());
        let page = state.store.list_stock(after.as_deref(), 1000).await?;
        let done = page.len() < 1000;
        stock.extend(page);
        if done {
            break;
        }
    }
    Ok(json!({ "count": stock.len(), "stock": stock }))
}

/// Orders per status (every status, zeros included), the outbox and the
/// queues: `/local/queues` and `counts`.
async fn local_summary(state: &AppState) -> Result<Value, OrdersError> {
    let counts: Map<String, Value> = state
        .store
        .order_counts()
        .await?
        .into_iter()
        .map(|(status, n)| (status.as_str().to_string(), json!(n)))
        .collect();
    let mut out = local_queues::depths(state).await?;
    out["counts"] = Value::Object(counts);
    Ok(out)
}

async fn local_reservations(state: &AppState, query: Option<&str>) -> Result<Value, OrdersError> {
    let p = list_params(query, &[])?;
    let reservations = state.store.list_reservations(p.order_id, p.limit).await?;
    Ok(json!({ "count": reservations.len(), "reservations": reservations }))
}

/// The order (as `GET /orders/{id}` shows it), its saga execution with the
/// state history (`null` before the saga started it), its payment with any
/// refund, its reservations and the notifications sent about it.
async fn local_order(state: &AppState, raw_id: &str) -> Result<Value, OrdersError> {
    let id = orders_core::model::parse_order_id(raw_id)?;
    let order = state
        .store
        .get_order(id)
        .await?
        .ok_or_else(|| OrdersError::NotFound(id.to_string()))?;
    let execution = state
        .executor
        .get(&id.to_string())
        .await
        .map_err(executor_error)?;
    let payment = state.store.get_payment(id).await?;
    let reservations = state
        .store
        .list_reservations(Some(id), DETAIL_LIMIT)
        .await?;
    let notifications = list_sent_notifications(&state.store, Some(id), DETAIL_LIMIT).await?;
    Ok(json!({
        "order": order,
        "execution": execution,
        "payment": payment,
        "reservations": reservations,
        "notifications": notifications,
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_execution_name;

    #[test]
    fn execution_names_are_an_order_id_and_an_optional_suffix() {
        let id = "019a1b2c-3d4e-7f00-8123-456789abcdef";
        assert_eq!(parse_execution_name(id).unwrap(), id);
        for suffix in ["dup", "operator", "rerun-1"] {
            let name = format!("{id}~{suffix}");
            assert_eq!(parse_execution_name(&name).unwrap(), name);
        }
        let long = format!("{id}~{}", "a".repeat(41));
        for bad in [
            "nope",
            "nope~dup",
            &format!("{id}~"),
            &format!("{id}~a/b"),
            &format!("{id}~a~b"),
            &long,
        ] {
            let e = parse_execution_name(bad).unwrap_err();
            assert_eq!(e.code(), "VALIDATION_FAILED", "{bad}");
        }
    }
}
