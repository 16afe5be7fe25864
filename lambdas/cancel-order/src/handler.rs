//! Maps an API Gateway proxy event to [`orders_core::usecases::cancel_order`].

use chrono::Utc;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use orders_core::usecases;
use orders_core::{OrderStatusUpdater, OrdersError};
use orders_http::{respond, to_json_response};

/// `POST /orders/{orderId}/cancel`: 200 with the cancelled order, 404 for an
/// unknown order, 409 when it is no longer PENDING, 400 for a bad id.
pub async fn handle<U>(updater: &U, event: Request) -> Result<Response<Body>, Error>
where
    U: OrderStatusUpdater + ?Sized,
{
    respond(
        &event,
        "POST /orders/{orderId}/cancel",
        cancel(updater, &event),
    )
    .await
}

async fn cancel<U>(updater: &U, event: &Request) -> Result<Response<Body>, OrdersError>
where
    U: OrderStatusUpdater + ?Sized,
{
    let params = event.path_parameters();
    let raw = params.first("orderId").unwrap_or_default();
    let order = usecases::cancel_order(updater, raw, Utc::now()).await?;
    to_json_response(200, &order)
}
