//! The route table: the API's resources from `contracts/gateway.json`, the
//! host's own (`/health`, `/local/*`), and which handler serves each
//! function.

use crate::state::{AppState, BoxError};
use crate::ui::{asset, Asset};
use lambda_http::request::LambdaRequest;
use lambda_http::{service_fn, Adapter, Context, LambdaEvent, Service};
use orders_http::gateway::{contract, MethodSpec, RouteSpec};
use serde_json::Value;

/// Which resource a path is.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    /// A resource of the API, with its `{parameters}`.
    Api {
        spec: &'static RouteSpec,
        params: Vec<(String, String)>,
    },
    Health,
    /// Local only: the notifications the customer was sent.
    Notifications,
    /// Local only: queue depths.
    Queues,
    /// Local only: the saga's executions, newest first.
    Executions,
    /// Local only: one order's execution with its state history.
    Execution(String),
    /// Local only: payments and their refunds.
    Payments,
    /// Local only: stock per SKU.
    Stock,
    /// Local only: orders per status, the outbox and queue depths (what the
    /// status page polls).
    Summary,
    /// Local only: stock reservations, newest first.
    Reservations,
    /// Local only: one order with its execution, payment, reservations and
    /// notifications (the status page's detail).
    OrderDetail(String),
    /// Local only: a queue's dead letters.
    DeadLetters(String),
    /// Local only: `POST` moves a queue's dead letters back.
    Redrive(String),
    /// The status page's files.
    Page(&'static Asset),
}

impl Route {
    pub(crate) fn of(path: &str) -> Option<Self> {
        let trimmed = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        match trimmed {
            "/health" => Some(Self::Health),
            "/local/notifications" => Some(Self::Notifications),
            "/local/queues" => Some(Self::Queues),
            "/local/executions" => Some(Self::Executions),
            "/local/payments" => Some(Self::Payments),
            "/local/stock" => Some(Self::Stock),
            "/local/summary" => Some(Self::Summary),
            "/local/reservations" => Some(Self::Reservations),
            _ if trimmed.starts_with("/local/executions/") => {
                segment(trimmed, "/local/executions/", "").map(Self::Execution)
            }
            _ if trimmed.starts_with("/local/orders/") => {
                segment(trimmed, "/local/orders/", "").map(Self::OrderDetail)
            }
            _ if trimmed.starts_with("/local/queues/") => {
                segment(trimmed, "/local/queues/", "/dead-letters")
                    .map(Self::DeadLetters)
                    .or_else(|| segment(trimmed, "/local/queues/", "/redrive").map(Self::Redrive))
            }
            _ if path == "/" || path.starts_with("/ui/") => asset(path).map(Self::Page),
            _ => {
                let (spec, params) = contract().route(path)?;
                Some(Self::Api { spec, params })
            }
        }
    }

    /// The `Allow` header of the resource.
    pub(crate) fn allow(&self) -> String {
        match self {
            Self::Api { spec, .. } => spec.allow(),
            Self::Health | Self::Page(_) => "GET, HEAD".into(),
            Self::Redrive(_) => "POST, OPTIONS".into(),
            _ => "GET, HEAD, OPTIONS".into(),
        }
    }
}

/// The one path segment between `prefix` and `suffix` of `path`.
fn segment(path: &str, prefix: &str, suffix: &str) -> Option<String> {
    let id = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

/// The API functions the host runs, by their names in contracts/functions.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiFunction {
    CreateOrder,
    ListOrders,
    GetOrder,
    CancelOrder,
}

impl ApiFunction {
    pub(crate) const ALL: [Self; 4] = [
        Self::CreateOrder,
        Self::ListOrders,
        Self::GetOrder,
        Self::CancelOrder,
    ];

    /// The function crate (`lambdas/<name>`), as the contracts name it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::CreateOrder => "create-order",
            Self::ListOrders => "list-orders",
            Self::GetOrder => "get-order",
            Self::CancelOrder => "cancel-order",
        }
    }

    pub(crate) fn of(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Runs the function behind `method` on the proxy event through
/// lambda_http's Adapter, as the Lambda runtime does, and returns its
/// proxy response as JSON.
pub(crate) async fn invoke(
    state: &AppState,
    method: &MethodSpec,
    event: Value,
    request_id: &str,
) -> Result<Value, BoxError> {
    let event: LambdaRequest = serde_json::from_value(event)?;
    let mut context = Context::default();
    context.request_id = request_id.to_string();
    context.invoked_function_arn = format!(
        "arn:aws:lambda:local:000000000000:function:{}",
        method.function
    );
    let event = LambdaEvent::new(event, context);
    let store = state.store.clone();
    let function = ApiFunction::of(&method.function)
        .ok_or_else(|| format!("no local handler for function {}", method.function))?;
    let answer = match function {
        ApiFunction::CreateOrder => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { create_order::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
        ApiFunction::ListOrders => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { list_orders::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
        ApiFunction::GetOrder => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { get_order::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
        ApiFunction::CancelOrder => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { cancel_order::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
    };
    Ok(answer)
}

/// The problems of a body with the request model's schema (the same file
/// the deployed gateway's model is made from); `None` for a schema the host
/// does not know.
pub(crate) fn model_problems(
    schema: &str,
    value: &Value,
) -> Option<Vec<orders_core::error::FieldError>> {
    match schema {
        "schemas/create-order.schema.json" => Some(orders_validation::schema_problems(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn path_of(path: &str) -> Option<String> {
        match Route::of(path)? {
            Route::Api { spec, params } => Some(format!("{} {params:?}", spec.path)),
            other => Some(format!("{other:?}")),
        }
    }

    #[test]
    fn routes() {
        assert_eq!(path_of("/orders").unwrap(), "/orders []");
        assert_eq!(path_of("/orders/").unwrap(), "/orders []");
        assert_eq!(
            path_of("/orders/abc").unwrap(),
            r#"/orders/{orderId} [("orderId", "abc")]"#
        );
        assert_eq!(path_of("/orders/abc/x"), None);
        assert_eq!(
            path_of("/orders/abc/cancel").unwrap(),
            r#"/orders/{orderId}/cancel [("orderId", "abc")]"#
        );
        assert_eq!(path_of("/orders//cancel"), None);
        assert_eq!(path_of("/local/notifications").unwrap(), "Notifications");
        assert_eq!(path_of("/local/executions").unwrap(), "Executions");
        assert_eq!(
            path_of("/local/executions/abc").unwrap(),
            r#"Execution("abc")"#
        );
        assert_eq!(path_of("/local/executions/abc/x"), None);
        assert_eq!(path_of("/local/payments/").unwrap(), "Payments");
        assert_eq!(path_of("/local/stock").unwrap(), "Stock");
        assert_eq!(path_of("/health").unwrap(), "Health");
        assert_eq!(path_of("/local/summary").unwrap(), "Summary");
        assert_eq!(path_of("/local/reservations").unwrap(), "Reservations");
        assert_eq!(
            path_of("/local/orders/abc").unwrap(),
            r#"OrderDetail("abc")"#
        );
        assert_eq!(path_of("/local/orders/abc/x"), None);
        assert_eq!(
            path_of("/local/queues/q1/dead-letters").unwrap(),
            r#"DeadLetters("q1")"#
        );
        assert_eq!(
            path_of("/local/queues/q1/redrive/").unwrap(),
            r#"Redrive("q1")"#
        );
        assert_eq!(path_of("/local/queues//redrive"), None);
        assert_eq!(path_of("/local/queues/a/b/redrive"), None);
        assert_eq!(path_of("/local/queues/q1"), None);
        assert_eq!(path_of("/").unwrap(), "Page(Asset(index.html))");
        assert_eq!(path_of("/ui/app.js").unwrap(), "Page(Asset(app.js))");
        assert_eq!(path_of("/ui/nope.js"), None);
        assert_eq!(path_of("/ui"), None);
        assert_eq!(Route::of("/").unwrap().allow(), "GET, HEAD");
        assert_eq!(
            Route::of("/local/queues/q/redrive").unwrap().allow(),
            "POST, OPTIONS"
        );
        assert_eq!(
            Route::of("/local/summary").unwrap().allow(),
            "GET, HEAD, OPTIONS"
        );
        assert_eq!(path_of("/nope"), None);
    }

    /// Every function and request model the gateway contract names has a
    /// local handler / validator.
    #[test]
    fn the_contract_is_served_whole() {
        for r in &contract().routes {
            for m in r.methods.values() {
                assert!(ApiFunction::of(&m.function).is_some(), "{}", m.function);
                if let Some(model) = &m.request_model {
                    assert!(model_problems(&model.schema, &Value::Null).is_some());
                }
            }
        }
    }

    /// The host dispatches exactly the API functions of
    /// contracts/functions.json.
    #[test]
    fn dispatch_covers_every_api_function_of_the_contract() {
        use orders_core::contract::{functions_contract, TriggerKind};
        let contract: BTreeSet<&str> = functions_contract()
            .triggered_by(TriggerKind::Api)
            .map(|f| f.name.as_str())
            .collect();
        let dispatched: BTreeSet<&str> = ApiFunction::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(dispatched, contract);
        for name in contract {
            assert_eq!(ApiFunction::of(name).map(ApiFunction::name), Some(name));
        }
    }
}
