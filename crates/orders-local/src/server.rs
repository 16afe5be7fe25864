//! The HTTP/1.1 server: one hyper connection per client, with the header
//! read timeout (which is the keep-alive idle timeout too) and a head size
//! limit, hyper's own refusals in the error model ([`crate::wire`]), and a
//! graceful stop; and [`Server`], a host running in the background.

use crate::config::Config;
use crate::gateway::{dispatch, Ends};
use crate::pipeline;
use crate::state::{AppState, BoxError};
use crate::wire::ErrorBodies;
use axum::body::Body;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// Most bytes of a request head (request line and headers) the host reads;
/// past it the answer is 431. API Gateway allows 10 KiB of headers.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Serves the API on `listener` until `shutdown` completes, then lets
/// in-flight requests finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(state.timeouts.header_read)
        .max_buf_size(MAX_HEAD_BYTES);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let ends = Ends {
            peer: Some(peer),
            local: stream.local_addr().ok(),
        };
        let state = state.clone();
        let service =
            hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(dispatch(&state, ends, req.map(Body::new)).await) }
            });
        let conn = http.serve_connection(TokioIo::new(ErrorBodies::new(stream)), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, peer = %peer, "connection closed");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
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
    pub async fn start(config: &Config, port: u16) -> Result<Self, BoxError> {
        let state = AppState::open(config).await?;
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let api_key = state.api_key().to_string();
        let pipeline = config
            .pipeline
            .as_ref()
            .map(|p| pipeline::Pipeline::start(state.store(), state.executor(), p))
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
