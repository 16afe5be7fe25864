//! A minimal AWS Lambda Runtime API emulator on 127.0.0.1:<random>.
//!
//! Implements what a custom runtime (lambda_runtime) calls:
//! `GET /2018-06-01/runtime/invocation/next` (long poll),
//! `POST /2018-06-01/runtime/invocation/{id}/response`,
//! `POST /2018-06-01/runtime/invocation/{id}/error` and
//! `POST /2018-06-01/runtime/init/error`.
//! The instant of the first `next` call is the end of the function's init
//! phase, as Lambda itself counts it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch, Mutex};

use crate::Result;

const FUNCTION_ARN_PREFIX: &str = "arn:aws:lambda:us-east-1:123456789012:function:";

/// What the function posted back for one invocation.
#[derive(Debug)]
pub enum Outcome {
    Response(Bytes),
    Error { error_type: String, body: Bytes },
}

/// Signals from the runtime that end the init phase.
#[derive(Debug)]
pub enum InitSignal {
    /// First `GET /next`: init is over.
    Ready(Instant),
    /// `POST /runtime/init/error`.
    Failed(String),
}

struct Invocation {
    id: String,
    event: Value,
}

struct Shared {
    function_name: String,
    init: StdMutex<Option<oneshot::Sender<InitSignal>>>,
    queue: Mutex<mpsc::Receiver<Invocation>>,
    pending: StdMutex<HashMap<String, oneshot::Sender<Outcome>>>,
    closed: watch::Receiver<bool>,
}

pub struct Emulator {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    queue_tx: mpsc::Sender<Invocation>,
    close_tx: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    next_id: AtomicU64,
}

impl Emulator {
    /// Binds 127.0.0.1:0 and serves; `init` fires once, at the first
    /// `GET /next` or at an init error.
    pub async fn start(function_name: &str) -> Result<(Self, oneshot::Receiver<InitSignal>)> {
        let (init_tx, init_rx) = oneshot::channel();
        let (queue_tx, queue_rx) = mpsc::channel(16);
        let (close_tx, close_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            function_name: function_name.to_string(),
            init: StdMutex::new(Some(init_tx)),
            queue: Mutex::new(queue_rx),
            pending: StdMutex::new(HashMap::new()),
            closed: close_rx,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let mut closed = close_tx.subscribe();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = closed.wait_for(|c| *c).await;
                })
                .await;
        });
        Ok((
            Self {
                addr,
                shared,
                queue_tx,
                close_tx,
                server,
                next_id: AtomicU64::new(1),
            },
            init_rx,
        ))
    }

    /// Hands one event to the function and waits for what it posts back.
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Result<(Outcome, Duration)> {
        let started = Instant::now();
        let pending = self.submit(event).await?;
        let (outcome, at) = pending.wait(timeout).await?;
        Ok((outcome, at.duration_since(started)))
    }

    /// Queues one event for the function's next `GET /next` (which may
    /// come later: a cold start queues its first event before the spawn).
    pub async fn submit(&self, event: Value) -> Result<Pending> {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("8f507cfc-bench-4000-8000-{n:012}");
        let (tx, rx) = oneshot::channel();
        self.shared
            .pending
            .lock()
            .expect("pending lock")
            .insert(id.clone(), tx);
        self.queue_tx
            .send(Invocation {
                id: id.clone(),
                event,
            })
            .await
            .map_err(|_| "emulator queue closed")?;
        Ok(Pending {
            id,
            rx,
            shared: self.shared.clone(),
        })
    }
}

/// A queued invocation whose outcome has not arrived yet.
pub struct Pending {
    id: String,
    rx: oneshot::Receiver<Outcome>,
    shared: Arc<Shared>,
}

impl Pending {
    /// What the function posted back and when it arrived.
    pub async fn wait(self, timeout: Duration) -> Result<(Outcome, Instant)> {
        let id = self.id;
        match tokio::time::timeout(timeout, self.rx).await {
            Ok(Ok(outcome)) => Ok((outcome, Instant::now())),
            Ok(Err(_)) => Err(format!("invocation {id}: emulator dropped it").into()),
            Err(_) => {
                self.shared
                    .pending
                    .lock()
                    .expect("pending lock")
                    .remove(&id);
                Err(format!("invocation {id}: no response within {timeout:?}").into())
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.close_tx.send(true);
        self.server.abort();
    }
}

fn signal_init(shared: &Shared, signal: InitSignal) {
    if let Some(tx) = shared.init.lock().expect("init lock").take() {
        let _ = tx.send(signal);
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    signal_init(&shared, InitSignal::Ready(Instant::now()));
    let mut closed = shared.closed.clone();
    let invocation = {
        let mut queue = shared.queue.lock().await;
        tokio::select! {
            inv = queue.recv() => inv,
            _ = closed.wait_for(|c| *c) => None,
        }
    };
    let Some(inv) = invocation else {
        return (StatusCode::GONE, "emulator shutting down").into_response();
    };
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 30_000;
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put("content-type", "application/json".into());
    put("lambda-runtime-aws-request-id", inv.id.clone());
    put("lambda-runtime-deadline-ms", deadline_ms.to_string());
    put(
        "lambda-runtime-invoked-function-arn",
        format!("{FUNCTION_ARN_PREFIX}{}", shared.function_name),
    );
    put(
        "lambda-runtime-trace-id",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0".into(),
    );
    (StatusCode::OK, headers, inv.event.to_string()).into_response()
}

fn complete(shared: &Shared, id: &str, outcome: Outcome) -> StatusCode {
    match shared.pending.lock().expect("pending lock").remove(id) {
        Some(tx) => {
            let _ = tx.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    complete(&shared, &id, Outcome::Response(body))
}

async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown")
        .to_string();
    complete(&shared, &id, Outcome::Error { error_type, body })
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    signal_init(
        &shared,
        InitSignal::Failed(String::from_utf8_lossy(&body).into_owned()),
    );
    StatusCode::ACCEPTED
}
