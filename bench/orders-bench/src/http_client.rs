//! A minimal HTTP/1.1 client for loopback addresses only (health checks,
//! counting stored orders, creating the moto table).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::Result;

/// A response read to its end.
pub struct Response {
    pub status: u16,
    #[allow(dead_code)]
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// `http://host:port` (or with a trailing path, ignored) to a socket address,
/// refusing anything that is not a loopback address.
pub fn loopback_addr(url: &str) -> Result<SocketAddr> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only plain http:// loopback endpoints are allowed"))?;
    authority_addr(url, rest)
}

/// `https://host:port` to a socket address, refusing anything that is not
/// a loopback address.
pub fn loopback_tls_addr(url: &str) -> Result<SocketAddr> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("{url}: expected an https:// loopback endpoint"))?;
    authority_addr(url, rest)
}

/// `addr`, unless it is not on loopback.
pub fn refuse_non_loopback(addr: SocketAddr) -> Result<SocketAddr> {
    if is_loopback(addr.ip()) {
        Ok(addr)
    } else {
        Err(format!("{addr}: refusing a non-loopback address").into())
    }
}

fn authority_addr(url: &str, rest: &str) -> Result<SocketAddr> {
    let authority = rest.split('/').next().unwrap_or_default();
    let addrs: Vec<SocketAddr> = authority
        .to_socket_addrs()
        .map_err(|e| format!("{url}: {e}"))?
        .collect();
    match addrs.first() {
        Some(a) if addrs.iter().all(|a| is_loopback(a.ip())) => Ok(*a),
        _ => Err(format!("{url}: refusing a non-loopback address").into()),
    }
}

/// `127.0.0.1:<port>` with a port nothing listens on: bound, read and
/// released again (for a host to listen on, or as a closed endpoint).
pub fn free_loopback_addr() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// One request on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Response> {
    if !is_loopback(addr.ip()) {
        return Err(format!("{addr}: refusing a non-loopback address").into());
    }
    tokio::time::timeout(timeout, async move {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let conn = tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(http::header::HOST, addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = sender
            .send_request(req.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await?.to_bytes();
        drop(sender);
        conn.abort();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Response {
            status,
            headers,
            body,
        })
    })
    .await
    .map_err(|_| format!("{addr}{path_and_query}: no answer within {timeout:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback() {
        assert!(loopback_addr("http://127.0.0.1:4566").is_ok());
        assert!(loopback_addr("http://127.0.0.1:4566/").is_ok());
        assert!(loopback_addr("http://[::1]:4566").is_ok());
        assert!(loopback_addr("http://10.0.0.1:4566").is_err());
        assert!(loopback_addr("https://127.0.0.1:4566").is_err());
        assert!(loopback_addr("http://192.168.1.2:80").is_err());
    }

    #[test]
    fn free_address_is_loopback_and_released() {
        let addr = free_loopback_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 0);
        std::net::TcpListener::bind(addr).expect("port was released");
    }
}
