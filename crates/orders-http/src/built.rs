//! The API functions' responses as `lambda_http::run` posts them, without
//! its body conversion.
//!
//! `lambda_http::run` passes a `Response<B>` through its generic
//! `IntoResponse`, which collects the body again and decodes it by the
//! charset its Content-Type names. That links encoding_rs' decoders for
//! every legacy encoding (and a MIME parser) into each function. Our
//! handlers already build the body API Gateway gets, UTF-8 JSON text, so it
//! goes out as it is: the same proxy response, less code in every package.

use std::future::Future;
use std::pin::Pin;

use lambda_http::{Body, IntoResponse, Response};

/// A response that is already what API Gateway gets: a handler returns
/// `Built(response)` to `lambda_http::run`.
pub struct Built(pub Response<Body>);

impl IntoResponse for Built {
    fn into_response(self) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        Box::pin(std::future::ready(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{error_response, finish, json_response};
    use lambda_http::request::LambdaRequest;
    use lambda_http::{service_fn, Context, Error, LambdaEvent, Request, Service};
    use orders_core::OrdersError;
    use serde_json::{json, Value};

    fn event() -> LambdaRequest {
        serde_json::from_value(json!({
            "resource": "/orders/{id}",
            "path": "/orders/o-1",
            "httpMethod": "GET",
            "headers": {"Origin": "https://shop.example"},
            "multiValueHeaders": {"Origin": ["https://shop.example"]},
            "queryStringParameters": null,
            "pathParameters": {"id": "o-1"},
            "requestContext": {
                "resourcePath": "/orders/{id}",
                "httpMethod": "GET",
                "requestId": "r-1",
                "stage": "dev",
                "identity": {}
            },
            "body": null,
            "isBase64Encoded": false
        }))
        .expect("an API Gateway REST event")
    }

    /// The proxy response the runtime would post, as JSON.
    async fn posted<R: IntoResponse + Send + 'static>(
        make: impl Fn(&Request) -> R + Send + 'static,
    ) -> Value {
        let mut adapter = lambda_http::Adapter::from(service_fn(move |req: Request| {
            let resp = make(&req);
            async move { Ok::<_, Error>(resp) }
        }));
        let out = adapter
            .call(LambdaEvent::new(event(), Context::default()))
            .await
            .expect("the handler answers");
        serde_json::to_value(out).expect("a proxy response")
    }

    fn ok(req: &Request) -> Response<Body> {
        finish(
            req,
            json_response(200, r#"{"orderId":"o-1","total":"12.50"}"#),
        )
    }

    fn not_found(req: &Request) -> Response<Body> {
        finish(
            req,
            error_response(&OrdersError::NotFound("o-1".into()), Some("r-1")),
        )
    }

    #[tokio::test]
    async fn api_gateway_gets_what_lambda_http_would_post() {
        for make in [ok, not_found] {
            let ours = posted(move |req| Built(make(req))).await;
            let theirs = posted(make).await;
            assert_eq!(ours, theirs);
            assert_eq!(ours["isBase64Encoded"], false);
            assert!(
                ours["body"].as_str().is_some_and(|b| b.starts_with('{')),
                "{ours}"
            );
        }
    }
}
