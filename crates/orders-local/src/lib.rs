//! The local host: the Orders REST API on 127.0.0.1, on one SQLite file.
//!
//! It plays API Gateway's part, then calls the very handlers the Lambda
//! functions run:
//!
//! 1. `OPTIONS` on an API resource is the CORS preflight (API Gateway's mock
//!    integration): 204 with the allow-* headers when the origin is allowed.
//! 2. Every API route needs `x-api-key` equal to the key, else 403
//!    `FORBIDDEN` and nothing is called.
//! 3. Unknown paths are 404, known paths with another method 405, both in the
//!    error model.
//! 4. A body over [`MAX_BODY_BYTES`] is 413 (read no further than needed).
//! 5. `POST /orders` bodies pass the request model (the same JSON Schema the
//!    gateway's request validator uses): malformed JSON or a schema problem
//!    is a 400 before any handler runs.
//! 6. The request becomes the REST proxy event (`ApiGatewayProxyRequest`
//!    JSON), which is deserialized into lambda_http's `LambdaRequest` and run
//!    through lambda_http's own `Adapter`, exactly as the Lambda runtime does;
//!    the `LambdaResponse` it returns is read back as an
//!    `ApiGatewayProxyResponse` and becomes the HTTP response.
//!
//! CORS headers on every response come from the host's own allow-list (the
//! handlers' `ALLOWED_ORIGINS` environment variable plays no part here).
//!
//! The asynchronous side (outbox → queue → processor → topic → notifier)
//! runs in-process too: see [`pipeline`]. Two local-only resources show it:
//! `GET /local/notifications[?orderId=]` (what the customer was sent) and
//! `GET /local/queues` (queue depths and dead letters).

pub mod pipeline;

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::{ConnectInfo, Request as AxumRequest, State};
use axum::response::Response as AxumResponse;
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, StatusCode};
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyResponse;
use lambda_http::request::LambdaRequest;
use lambda_http::{service_fn, Adapter, Context, LambdaEvent, Service};
use orders_core::{OrdersError, MAX_BODY_BYTES};
use orders_http::Cors;
use orders_local_aws::notifier::list_sent_notifications;
use orders_local_aws::publisher::QueuePublisher;
use orders_sqlite::SqliteStore;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tracing::Instrument;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Stage name in the events the host builds.
pub const STAGE: &str = "local";
/// Default allowed browser origins.
pub const DEFAULT_ALLOWED_ORIGINS: &str = "http://localhost:3000,http://127.0.0.1:3000";
/// File next to the database that keeps a generated API key.
pub const API_KEY_FILE: &str = "api-key";

/// What the host needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite file (created with its directory if missing).
    pub db: PathBuf,
    /// The API key; `None`: the one kept next to the database, generated on
    /// first start.
    pub api_key: Option<String>,
    /// Comma-separated allowed origins (`*` for any).
    pub allowed_origins: String,
    /// The asynchronous pipeline; `None` serves the API only (orders wait
    /// in the outbox until a host with the pipeline runs).
    pub pipeline: Option<pipeline::PipelineConfig>,
}

impl Config {
    pub fn new(db: impl Into<PathBuf>) -> Self {
        Self {
            db: db.into(),
            api_key: None,
            allowed_origins: DEFAULT_ALLOWED_ORIGINS.to_string(),
            pipeline: Some(pipeline::PipelineConfig::default()),
        }
    }
}

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    store: Arc<SqliteStore>,
    publisher: Arc<QueuePublisher>,
    api_key: Arc<str>,
    cors: Arc<Cors>,
}

impl AppState {
    /// Opens the store and settles the API key.
    pub fn open(config: &Config) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if let Some(dir) = config.db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let store = SqliteStore::open(&config.db)?;
        let api_key = match &config.api_key {
            Some(k) if !k.trim().is_empty() => k.trim().to_string(),
            _ => load_or_create_api_key(&config.db)?,
        };
        Self::new(store, api_key, Cors::parse(&config.allowed_origins))
    }

    pub fn new(store: SqliteStore, api_key: String, cors: Cors) -> Result<Self, BoxError> {
        let (_, notifications) = pipeline::queues(&store)?;
        Ok(Self {
            publisher: Arc::new(QueuePublisher::new(notifications)),
            store: Arc::new(store),
            api_key: api_key.into(),
            cors: Arc::new(cors),
        })
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn store(&self) -> &SqliteStore {
        &self.store
    }
}

/// The key kept in `api-key` next to the database, created (random, 256
/// bits, owner-only file) when there is none.
pub fn load_or_create_api_key(db: &Path) -> std::io::Result<String> {
    let file = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(API_KEY_FILE);
    match std::fs::read_to_string(&file) {
        Ok(k) if !k.trim().is_empty() => return Ok(k.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts.open(&file)?;
    writeln!(f, "{key}")?;
    Ok(key)
}

/// The router: every request goes through [`dispatch`].
pub fn app(state: AppState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then lets
/// in-flight requests finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A host running in the background (tests, embedding).
pub struct Server {
    addr: SocketAddr,
    api_key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pipeline: Option<pipeline::Pipeline>,
}

impl Server {
    /// Opens the store and serves on `127.0.0.1:port` (0: any free port).
    pub async fn start(
        config: &Config,
        port: u16,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let state = AppState::open(config)?;
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let api_key = state.api_key().to_string();
        let pipeline = config
            .pipeline
            .as_ref()
            .map(|p| pipeline::Pipeline::start(state.store(), p))
            .transpose()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(state, listener, async move {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            api_key,
            stop: Some(tx),
            task,
            pipeline,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Stops accepting, finishes in-flight requests and batches, closes the
    /// store.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(p) = self.pipeline.take() {
            p.stop().await;
        }
        (&mut self.task)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }
}

/// Which API resource a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Orders,
    Order(String),
    Cancel(String),
    Health,
    /// Local only: the notifications the customer was sent.
    Notifications,
    /// Local only: queue depths.
    Queues,
}

fn route_of(path: &str) -> Option<Route> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    match trimmed {
        "/health" => Some(Route::Health),
        "/orders" => Some(Route::Orders),
        "/local/notifications" => Some(Route::Notifications),
        "/local/queues" => Some(Route::Queues),
        _ => {
            let rest = trimmed.strip_prefix("/orders/")?;
            if let Some(id) = rest.strip_suffix("/cancel") {
                return (!id.is_empty() && !id.contains('/'))
                    .then(|| Route::Cancel(id.to_string()));
            }
            (!rest.is_empty() && !rest.contains('/')).then(|| Route::Order(rest.to_string()))
        }
    }
}

/// Every request: the gateway's checks, then the function.
async fn dispatch(State(state): State<AppState>, req: AxumRequest) -> AxumResponse {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let request_id = uuid::Uuid::now_v7().to_string();
    let span = tracing::info_span!(
        "local",
        request_id = %request_id,
        method = %req.method(),
        path = %req.uri().path()
    );
    let req_headers = req.headers().clone();
    let started = std::time::Instant::now();
    let mut resp = gateway(&state, peer, req, &request_id)
        .instrument(span.clone())
        .await;
    // CORS on every answer, like the gateway responses and the functions do.
    let is_preflight = resp
        .headers()
        .contains_key(http::header::ACCESS_CONTROL_ALLOW_METHODS);
    if !is_preflight {
        strip_cors(resp.headers_mut());
        state.cors.apply(&req_headers, resp.headers_mut());
    }
    span.in_scope(|| {
        tracing::info!(
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request done"
        )
    });
    resp
}

fn strip_cors(headers: &mut HeaderMap) {
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

async fn gateway(
    state: &AppState,
    peer: Option<SocketAddr>,
    req: AxumRequest,
    request_id: &str,
) -> AxumResponse {
    let path = req.uri().path().to_string();
    let Some(route) = route_of(&path) else {
        return model_error(404, "NOT_FOUND", "no such resource", request_id);
    };
    let method = req.method().clone();
    if route == Route::Health {
        return if method == Method::GET || method == Method::HEAD {
            json_answer(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
        } else {
            method_not_allowed(request_id, "GET")
        };
    }
    let allowed = match route {
        Route::Orders => "GET, POST, OPTIONS",
        Route::Cancel(_) => "POST, OPTIONS",
        _ => "GET, OPTIONS",
    };
    if method == Method::OPTIONS {
        return preflight(state, req.headers());
    }
    if !api_key_ok(state, req.headers()) {
        return model_error(403, "FORBIDDEN", "Forbidden", request_id);
    }
    let resource = match (&route, &method) {
        (Route::Orders, &Method::POST) | (Route::Orders, &Method::GET) => "/orders",
        (Route::Order(_), &Method::GET) => "/orders/{orderId}",
        (Route::Cancel(_), &Method::POST) => "/orders/{orderId}/cancel",
        (Route::Notifications | Route::Queues, &Method::GET) => {
            return local_resource(state, &route, req.uri().query(), request_id).await;
        }
        _ => return method_not_allowed(request_id, allowed),
    };

    let (parts, body) = req.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(e) => return error_answer(&e, request_id),
    };
    if resource == "/orders" && method == Method::POST {
        if let Err(e) = request_model_check(&body) {
            return error_answer(&e, request_id);
        }
    }
    let event = proxy_event(&parts, &body, resource, &route, request_id, peer);
    match invoke(state, &route, &method, event, request_id).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, "handler failed");
            model_error(500, "INTERNAL", "internal error", request_id)
        }
    }
}

/// Constant-time comparison of the `x-api-key` header with the key.
fn api_key_ok(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(given) = headers.get("x-api-key") else {
        return false;
    };
    let (a, b) = (given.as_bytes(), state.api_key.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn preflight(state: &AppState, headers: &HeaderMap) -> AxumResponse {
    let mut resp = AxumResponse::new(AxumBody::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    // No allow-* headers when the origin is not allowed: the browser refuses.
    state.cors.apply_preflight(headers, resp.headers_mut());
    resp
}

/// Reads the body, refusing (413) once it would pass the limit: a declared
/// `content-length` over it is refused without reading at all.
async fn read_body(headers: &HeaderMap, body: AxumBody) -> Result<Bytes, OrdersError> {
    let too_large = || OrdersError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            tracing::info!(error = %e, "request body refused");
            too_large()
        })
}

/// The gateway's request validator for `POST /orders`: the body must be
/// JSON and match the request model. An empty body goes on to the function,
/// which says precisely what is missing.
fn request_model_check(body: &[u8]) -> Result<(), OrdersError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| OrdersError::MalformedJson(e.to_string()))?;
    let problems = orders_core::validation::schema_problems(&value);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OrdersError::Validation(problems))
    }
}

/// The REST API proxy event API Gateway would send for this request.
fn proxy_event(
    parts: &http::request::Parts,
    body: &[u8],
    resource: &str,
    route: &Route,
    request_id: &str,
    peer: Option<SocketAddr>,
) -> Value {
    let path = parts.uri.path().to_string();
    let mut headers = Map::new();
    let mut multi_headers: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_string(), Value::String(v.clone()));
        multi_headers
            .entry(name.as_str().to_string())
            .or_default()
            .push(Value::String(v));
    }
    let mut query = Map::new();
    let mut multi_query: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if let Some(q) = parts.uri.query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            query.insert(k.to_string(), Value::String(v.to_string()));
            multi_query
                .entry(k.into_owned())
                .or_default()
                .push(Value::String(v.into_owned()));
        }
    }
    let path_parameters = match route {
        Route::Order(id) | Route::Cancel(id) => json!({ "orderId": percent_decode(id) }),
        _ => Value::Null,
    };
    let nonempty = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(body) {
            Ok(s) => (Value::String(s.to_string()), false),
            Err(_) => (Value::String(B64.encode(body)), true),
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64;
    let api_key = parts
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let user_agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": parts.method.as_str(),
        "headers": nonempty(headers),
        "multiValueHeaders": nonempty(multi_headers.into_iter().map(|(k, v)| (k, Value::Array(v))).collect()),
        "queryStringParameters": nonempty(query),
        "multiValueQueryStringParameters": nonempty(multi_query.into_iter().map(|(k, v)| (k, Value::Array(v))).collect()),
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": parts.method.as_str(),
            "extendedRequestId": request_id,
            "requestId": request_id,
            // No stage prefix locally, so the Location the function builds
            // from this path works against the host as it is.
            "path": path,
            "stage": STAGE,
            "domainName": host,
            "domainPrefix": "local",
            "protocol": "HTTP/1.1",
            "requestTime": "",
            "requestTimeEpoch": now,
            "identity": {
                "apiKey": api_key,
                "apiKeyId": "local",
                "sourceIp": peer.map(|p| p.ip().to_string()).unwrap_or_else(|| "127.0.0.1".into()),
                "userAgent": user_agent,
            },
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// Runs the function for `route` on the event through lambda_http's Adapter
/// (as the Lambda runtime does) and turns its answer into an HTTP response.
async fn invoke(
    state: &AppState,
    route: &Route,
    method: &Method,
    event: Value,
    request_id: &str,
) -> Result<AxumResponse, BoxError> {
    let event: LambdaRequest = serde_json::from_value(event)?;
    let mut context = Context::default();
    context.request_id = request_id.to_string();
    context.invoked_function_arn = "arn:aws:lambda:local:000000000000:function:orders-local".into();
    let event = LambdaEvent::new(event, context);
    let store = state.store.clone();
    let answer = match (route, method) {
        (Route::Orders, &Method::POST) => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { create_order::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
        (Route::Orders, _) => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { list_orders::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
        (Route::Cancel(_), _) => {
            let publisher = state.publisher.clone();
            let mut svc = Adapter::from(service_fn(move |req| {
                let (store, publisher) = (store.clone(), publisher.clone());
                async move { cancel_order::handler::handle(&*store, &*publisher, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
        _ => {
            let mut svc = Adapter::from(service_fn(move |req| {
                let store = store.clone();
                async move { get_order::handler::handle(&*store, req).await }
            }));
            serde_json::to_value(svc.call(event).await?)?
        }
    };
    let proxy: ApiGatewayProxyResponse = serde_json::from_value(answer)?;
    from_proxy_response(proxy)
}

/// What API Gateway makes of a proxy response.
fn from_proxy_response(proxy: ApiGatewayProxyResponse) -> Result<AxumResponse, BoxError> {
    let body: Vec<u8> = match proxy.body {
        None => Vec::new(),
        Some(b) if proxy.is_base64_encoded => B64.decode(b.as_ref())?,
        Some(b) => b.as_ref().to_vec(),
    };
    let mut resp = AxumResponse::new(AxumBody::from(body));
    *resp.status_mut() = StatusCode::from_u16(u16::try_from(proxy.status_code)?)?;
    let headers = resp.headers_mut();
    for (k, v) in &proxy.multi_value_headers {
        headers.append(k, v.clone());
    }
    for (k, v) in &proxy.headers {
        if !headers.contains_key(k) {
            headers.insert(k, v.clone());
        }
    }
    Ok(resp)
}

/// The local-only resources: sent notifications and queue depths.
async fn local_resource(
    state: &AppState,
    route: &Route,
    query: Option<&str>,
    request_id: &str,
) -> AxumResponse {
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

fn json_answer(status: StatusCode, body: String) -> AxumResponse {
    let mut resp = AxumResponse::new(AxumBody::from(body));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(orders_http::JSON));
    resp
}

fn error_answer(err: &OrdersError, request_id: &str) -> AxumResponse {
    tracing::info!(
        status = orders_http::status_of(err),
        code = err.code(),
        "refused by the gateway"
    );
    json_answer(
        StatusCode::from_u16(orders_http::status_of(err))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        orders_http::error_body(err, Some(request_id)).to_json(),
    )
}

fn model_error(status: u16, code: &str, message: &str, request_id: &str) -> AxumResponse {
    tracing::info!(status, code, "refused by the gateway");
    json_answer(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        orders_http::ErrorBody::new(code, message, Vec::new(), Some(request_id)).to_json(),
    )
}

fn method_not_allowed(request_id: &str, allow: &'static str) -> AxumResponse {
    let mut resp = model_error(
        405,
        "METHOD_NOT_ALLOWED",
        "this method is not allowed on this resource",
        request_id,
    );
    resp.headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static(allow));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route_of("/orders"), Some(Route::Orders));
        assert_eq!(route_of("/orders/"), Some(Route::Orders));
        assert_eq!(route_of("/orders/abc"), Some(Route::Order("abc".into())));
        assert_eq!(route_of("/orders/abc/x"), None);
        assert_eq!(
            route_of("/orders/abc/cancel"),
            Some(Route::Cancel("abc".into()))
        );
        assert_eq!(route_of("/orders//cancel"), None);
        assert_eq!(route_of("/local/notifications"), Some(Route::Notifications));
        assert_eq!(route_of("/health"), Some(Route::Health));
        assert_eq!(route_of("/"), None);
        assert_eq!(route_of("/nope"), None);
    }

    #[test]
    fn api_key_file_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("orders.db");
        let a = load_or_create_api_key(&db).unwrap();
        let b = load_or_create_api_key(&db).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn model_check() {
        assert!(request_model_check(b"").is_ok());
        assert!(matches!(
            request_model_check(b"{"),
            Err(OrdersError::MalformedJson(_))
        ));
        assert!(matches!(
            request_model_check(br#"{"customerId":"c"}"#),
            Err(OrdersError::Validation(_))
        ));
    }
}
