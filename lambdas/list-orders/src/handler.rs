//! Maps an API Gateway proxy event to [`orders_core::service::list_orders`].

use lambda_http::{Body, Error, Request, RequestExt, Response};
use orders_api::{error_response, finish, json_response, request_id};
use orders_core::pagination::PageTokens;
use orders_core::{service, OrderLister, OrdersError};
use tracing::Instrument;

/// `GET /orders?status=&limit=&sortOrder=&nextToken=`: one page.
/// Every value of every query parameter is passed on, so a repeated or
/// unknown parameter is reported rather than silently ignored.
pub async fn handle<L: OrderLister + ?Sized>(
    store: &L,
    tokens: &PageTokens,
    event: Request,
) -> Result<Response<Body>, Error> {
    let span = orders_api::request_span(&event, "GET /orders");
    async {
        let rid = request_id(&event);
        let resp = match list(store, tokens, &event).await {
            Ok(resp) => resp,
            Err(e) => error_response(&e, rid.as_deref()),
        };
        Ok(finish(&event, resp))
    }
    .instrument(span)
    .await
}

async fn list<L: OrderLister + ?Sized>(
    store: &L,
    tokens: &PageTokens,
    event: &Request,
) -> Result<Response<Body>, OrdersError> {
    let params = event.query_string_parameters();
    // Sorted so the reported problems come in a stable order.
    let mut pairs: Vec<(&str, &str)> = params.iter().collect();
    pairs.sort_unstable();
    let req = service::parse_list_request(pairs)?;
    let page = service::list_orders(store, tokens, &req).await?;
    let body = serde_json::to_string(&page)
        .map_err(|e| OrdersError::Store(orders_core::StoreError::Corrupt(e.to_string())))?;
    Ok(json_response(200, body))
}
