//! A minimal HTTP/1.1 client for loopback addresses only (hyper, already in
//! the build through lambda_http): one request on a fresh connection
//! ([`send`]), or a kept-alive connection that reopens when the host closes
//! it ([`Conn`]); and the loopback checks of the addresses it is given.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response read to its end.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// The body as JSON, `null` if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// `http://host:port` (or with a trailing path, ignored) to a socket address,
/// refusing anything that is not a loopback address.
pub fn loopback_addr(url: &str) -> Result<SocketAddr, BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only plain http:// loopback endpoints are allowed"))?;
    authority_addr(url, rest)
}

/// `https://host:port` to a socket address, refusing anything that is not
/// a loopback address.
pub fn loopback_tls_addr(url: &str) -> Result<SocketAddr, BoxError> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("{url}: expected an https:// loopback endpoint"))?;
    authority_addr(url, rest)
}

/// `addr`, unless it is not on loopback.
pub fn refuse_non_loopback(addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    if is_loopback(addr.ip()) {
        Ok(addr)
    } else {
        Err(format!("{addr}: refusing a non-loopback address").into())
    }
}

fn authority_addr(url: &str, rest: &str) -> Result<SocketAddr, BoxError> {
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
pub fn free_loopback_addr() -> Result<SocketAddr, BoxError> {
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

/// A new HTTP/1.1 connection to `addr` (loopback only); the connection's
/// task runs until the sender is dropped or the peer closes it.
async fn connect(
    addr: SocketAddr,
) -> Result<(SendRequest<Full<Bytes>>, tokio::task::JoinHandle<()>), BoxError> {
    refuse_non_loopback(addr)?;
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok((sender, task))
}

fn request(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Request<Full<Bytes>>, BoxError> {
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .header(http::header::HOST, addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Ok(req.body(Full::new(Bytes::from(body)))?)
}

async fn read(resp: hyper::Response<hyper::body::Incoming>) -> Result<Response, BoxError> {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// One request on a fresh connection, closed after the answer.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Response, BoxError> {
    let (mut sender, conn) = connect(addr).await?;
    let req = request(addr, method, path_and_query, headers, body)?;
    let resp = read(sender.send_request(req).await?).await;
    drop(sender);
    conn.abort();
    resp
}

/// One kept-alive connection to the host at `addr`, reopened when the
/// host closes it.
pub struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, sender: None }
    }

    pub async fn send(
        &mut self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Response, BoxError> {
        let req = request(self.addr, method, path_and_query, headers, body)?;
        if !self.sender.as_ref().is_some_and(|s| s.is_ready()) {
            self.sender = Some(connect(self.addr).await?.0);
        }
        let sender = self.sender.as_mut().expect("just set");
        match sender.send_request(req).await {
            Ok(resp) => read(resp).await,
            Err(e) => {
                self.sender = None;
                Err(e.into())
            }
        }
    }
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
        assert!(loopback_tls_addr("https://127.0.0.1:8443").is_ok());
        assert!(loopback_tls_addr("https://10.0.0.1:8443").is_err());
    }

    #[test]
    fn free_address_is_loopback_and_released() {
        let addr = free_loopback_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 0);
        std::net::TcpListener::bind(addr).expect("port was released");
    }

    #[tokio::test]
    async fn refuses_to_send_off_loopback() {
        let addr: SocketAddr = "10.1.2.3:80".parse().unwrap();
        let err = send(addr, Method::GET, "/", &[], Vec::new())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("non-loopback"), "{err}");
    }
}
