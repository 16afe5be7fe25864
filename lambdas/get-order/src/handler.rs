//! Maps an API Gateway proxy event to [`orders_core::usecases::get_order`].

use lambda_http::{Body, Error, Request, RequestExt, Response};
use orders_core::{usecases, OrderReader, OrdersError};
use orders_http::{respond, to_json_response};

/// `GET /orders/{orderId}`: 200 with the order, 404, or 400 for a bad id.
pub async fn handle<R: OrderReader + ?Sized>(
    store: &R,
    event: Request,
) -> Result<Response<Body>, Error> {
    respond(&event, "GET /orders/{orderId}", get(store, &event)).await
}

async fn get<R: OrderReader + ?Sized>(
    store: &R,
    event: &Request,
) -> Result<Response<Body>, OrdersError> {
    let params = event.path_parameters();
    let raw = params.first("orderId").unwrap_or_default();
    let order = usecases::get_order(store, raw).await?;
    to_json_response(200, &order)
}
