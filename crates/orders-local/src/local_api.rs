//! The local-only resources: `GET /local/notifications[?orderId=&limit=]`
//! (what the customer was sent), `GET /local/queues` (queue depths and dead
//! letters), the saga's `GET /local/executions[?status=&limit=]` and
//! `GET /local/executions/{orderId}` (with the state history),
//! `GET /local/payments[?orderId=&limit=]`, `GET /local/stock`, and
//! `GET /health`.

use crate::errors::{error_answer, json_answer};
use crate::pipeline;
use crate::routes::Route;
use crate::state::AppState;
use axum::response::Response;
use http::StatusCode;
use orders_core::inventory::StockAdmin;
use orders_core::payments::PaymentLedger;
use orders_core::OrdersError;
use orders_local_aws::notifier::list_sent_notifications;
use orders_local_sfn::{ExecutionStatus, ListFilter};
use serde_json::{json, Map, Value};

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
        _ => local_queues(state).await,
    };
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

async fn local_execution(state: &AppState, raw_id: &str) -> Result<Value, OrdersError> {
    let id = orders_core::model::parse_order_id(raw_id)?;
    let detail = state
        .executor
        .get(&id.to_string())
        .await
        .map_err(executor_error)?
        .ok_or_else(|| OrdersError::NotFound(id.to_string()))?;
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

async fn local_queues(state: &AppState) -> Result<Value, OrdersError> {
    let (events, notifications) = pipeline::queues(&state.store)?;
    let mut out = Map::new();
    for q in [events, notifications] {
        let s = q.stats().await?;
        out.insert(
            q.name().to_string(),
            json!({"visible": s.visible, "inFlight": s.in_flight, "deadLetters": s.dead_letters}),
        );
    }
    let outbox = state.store.outbox_pending(10_000).await?.len();
    Ok(json!({ "outbox": outbox, "queues": out }))
}
