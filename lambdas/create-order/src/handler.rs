//! Maps an API Gateway proxy event to [`orders_validation::create_order`]
//! and its result to a response. No business rule lives here.

use chrono::Utc;
use lambda_http::http::header::{HeaderValue, LOCATION};
use lambda_http::http::HeaderName;
use lambda_http::{Body, Error, Request, Response};
use orders_core::{OrderWriter, OrdersError};
use orders_http::gateway::media_type_refusal;
use orders_http::headers::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
use orders_http::{json_response, request_context_path, request_id, respond};

/// `POST /orders`: 201 with the order, its `Location`, and
/// `Idempotent-Replayed: true` when a retry got the first response back.
pub async fn handle<W: OrderWriter + ?Sized>(
    store: &W,
    event: Request,
) -> Result<Response<Body>, Error> {
    respond(&event, "POST /orders", create(store, &event)).await
}

async fn create<W: OrderWriter + ?Sized>(
    store: &W,
    event: &Request,
) -> Result<Response<Body>, OrdersError> {
    let body = event.body().as_ref();
    let request_id = request_id(event);
    if let Some(refused) = media_type_refusal(
        "createOrder",
        event.headers(),
        body.is_empty(),
        request_id.as_deref(),
    ) {
        return Ok(refused);
    }
    let key = idempotency_key(event)?;
    // lambda_http has already decoded a base64 body; bytes that are not
    // UTF-8 are reported by the validation as malformed JSON.
    let created = orders_validation::create_order(store, body, key, Utc::now()).await?;
    let mut resp = json_response(created.status_code, created.body);
    let location = format!("{}/{}", collection_path(event), created.order_id);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(LOCATION, v);
    }
    if created.replayed {
        resp.headers_mut().insert(
            HeaderName::from_static(IDEMPOTENT_REPLAYED),
            HeaderValue::from_static("true"),
        );
    }
    Ok(resp)
}

/// The `Idempotency-Key` header, if sent: once, as visible ASCII.
fn idempotency_key(event: &Request) -> Result<Option<&str>, OrdersError> {
    let mut values = event.headers().get_all(IDEMPOTENCY_KEY).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(OrdersError::invalid(
            "Idempotency-Key",
            "must be given at most once",
        ));
    }
    first.to_str().map(Some).map_err(|_| {
        OrdersError::invalid(
            "Idempotency-Key",
            "must contain only visible ASCII characters",
        )
    })
}

/// Where the orders collection lives as the client called it: the request
/// context path (with the stage prefix, e.g. `/dev/orders`), else `/orders`.
fn collection_path(event: &Request) -> String {
    request_context_path(event)
        .map(|p| p.trim_end_matches('/').to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "/orders".to_string())
}
