//! Maps an API Gateway proxy event to [`orders_core::service::get_order`].

use lambda_http::{Body, Error, Request, RequestExt, Response};
use orders_api::{error_response, finish, json_response, request_id};
use orders_core::{service, OrderReader, OrdersError};
use tracing::Instrument;

/// `GET /orders/{orderId}`: 200 with the order, 404, or 400 for a bad id.
pub async fn handle<R: OrderReader + ?Sized>(
    store: &R,
    event: Request,
) -> Result<Response<Body>, Error> {
    let span = orders_api::request_span(&event, "GET /orders/{orderId}");
    async {
        let rid = request_id(&event);
        let resp = match get(store, &event).await {
            Ok(resp) => resp,
            Err(e) => error_response(&e, rid.as_deref()),
        };
        Ok(finish(&event, resp))
    }
    .instrument(span)
    .await
}

async fn get<R: OrderReader + ?Sized>(
    store: &R,
    event: &Request,
) -> Result<Response<Body>, OrdersError> {
    let params = event.path_parameters();
    let raw = params.first("orderId").unwrap_or_default();
    let order = service::get_order(store, raw).await?;
    let body = serde_json::to_string(&order)
        .map_err(|e| OrdersError::Store(orders_core::StoreError::Corrupt(e.to_string())))?;
    Ok(json_response(200, body))
}
