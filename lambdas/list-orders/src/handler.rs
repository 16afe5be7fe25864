//! Maps an API Gateway proxy event to [`orders_core::usecases::list_orders`].

use lambda_http::{Body, Error, Request, RequestExt, Response};
use orders_core::{usecases, OrderLister, OrdersError};
use orders_http::{respond, to_json_response};

/// `GET /orders?status=&limit=&sortOrder=&nextToken=`: one page.
/// Every value of every query parameter is passed on, so a repeated or
/// unknown parameter is reported rather than silently ignored.
pub async fn handle<L: OrderLister + ?Sized>(
    store: &L,
    event: Request,
) -> Result<Response<Body>, Error> {
    respond(&event, "GET /orders", list(store, &event)).await
}

async fn list<L: OrderLister + ?Sized>(
    store: &L,
    event: &Request,
) -> Result<Response<Body>, OrdersError> {
    let params = event.query_string_parameters();
    // Sorted so the reported problems come in a stable order.
    let mut pairs: Vec<(&str, &str)> = params.iter().collect();
    pairs.sort_unstable();
    let req = usecases::parse_list_request(pairs)?;
    let page = usecases::list_orders(store, &req).await?;
    to_json_response(200, &page)
}
