//! The loopback HTTP/1.1 client the benchmarks use (health checks, counting
//! stored orders, creating the moto table, the Runtime API's callers): the
//! tests' own (`orders_test_support::loopback`), each request bounded in time.

use std::net::SocketAddr;
use std::time::Duration;

use http::{HeaderMap, Method};
use hyper::body::Bytes;
use orders_test_support::loopback;

pub use orders_test_support::loopback::{
    free_loopback_addr, loopback_addr, loopback_tls_addr, refuse_non_loopback,
};

use crate::Result;

/// A response read to its end.
pub struct Response {
    pub status: u16,
    #[allow(dead_code)]
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One request on a fresh connection (loopback only), answered within
/// `timeout`.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Response> {
    let r = tokio::time::timeout(
        timeout,
        loopback::send(addr, method, path_and_query, headers, body),
    )
    .await
    .map_err(|_| format!("{addr}{path_and_query}: no answer within {timeout:?}"))??;
    Ok(Response {
        status: r.status.as_u16(),
        headers: r.headers,
        body: r.body,
    })
}
