//! The local-only resources: `GET /local/notifications[?orderId=&limit=]`
//! (what the customer was sent) and `GET /local/queues` (queue depths and
//! dead letters), and `GET /health`.

use crate::errors::{error_answer, json_answer};
use crate::pipeline;
use crate::routes::Route;
use crate::state::AppState;
use axum::response::Response;
use http::StatusCode;
use orders_core::OrdersError;
use orders_local_aws::notifier::list_sent_notifications;
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
        _ => local_queues(state).await,
    };
    match result {
        Ok(body) => json_answer(StatusCode::OK, body.to_string()),
        Err(e) => error_answer(&e, request_id),
    }
}

async fn local_notifications(state: &AppState, query: Option<&str>) -> Result<Value, OrdersError> {
    let mut order_id = None;
    let mut limit = 100usize;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*k {
            "orderId" => order_id = Some(orders_core::model::parse_order_id(&v)?),
            "limit" => {
                limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| {
                        OrdersError::invalid("limit", "must be an integer from 1 to 10000")
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
    let sent = list_sent_notifications(&state.store, order_id, limit).await?;
    Ok(json!({ "count": sent.len(), "notifications": sent }))
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
