//! hyper's own answers in the error model.
//!
//! hyper answers a request it cannot parse (a bad request line or header:
//! 400; headers past the limit: 431; a URI too long: 414) itself, before any
//! service runs, with an empty body, and then closes the connection. This
//! wrapper of the connection's socket recognises such an answer as it is
//! written (a 4xx head without the `x-amzn-requestid` every answer of the
//! host carries) and writes the same status with an error-model body in its
//! place.

use crate::gateway::REQUEST_ID_HEADER;
use orders_http::ErrorBody;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub(crate) struct ErrorBodies<IO> {
    inner: IO,
    /// A replacement still to be written, and how much of it is.
    pending: Option<(Vec<u8>, usize)>,
}

impl<IO> ErrorBodies<IO> {
    pub(crate) fn new(inner: IO) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl<IO: AsyncWrite + Unpin> ErrorBodies<IO> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// hyper's automatic answer at the start of `buf`: its head's length and
/// the answer to send instead.
fn replacement(buf: &[u8]) -> Option<(usize, Vec<u8>)> {
    if !(buf.starts_with(b"HTTP/1.1 4") || buf.starts_with(b"HTTP/1.0 4")) {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
    let status_line = lines.next()?;
    let status: u16 = status_line.get(9..12)?.parse().ok()?;
    let message = match status {
        400 => "the request could not be parsed as HTTP/1.1",
        414 => "the request URI is too long",
        431 => "the request headers are too large",
        _ => return None,
    };
    let mut kept = Vec::new();
    for line in lines {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name == REQUEST_ID_HEADER.as_str() {
            return None; // one of the host's own answers
        }
        if !matches!(
            name.as_str(),
            "content-length" | "content-type" | "connection"
        ) {
            kept.push(line);
        }
    }
    let request_id = uuid::Uuid::now_v7().to_string();
    tracing::info!(status, request_id = %request_id, "request refused before the gateway: {message}");
    let body = ErrorBody::new(
        crate::errors::codes::BAD_REQUEST,
        message,
        Vec::new(),
        Some(&request_id),
    )
    .to_json();
    let mut out = format!("{status_line}\r\n");
    for line in kept {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n{}: {request_id}\r\n\r\n{body}",
        orders_http::JSON,
        body.len(),
        REQUEST_ID_HEADER.as_str(),
    ));
    Some((end, out.into_bytes()))
}

impl<IO: AsyncRead + Unpin> AsyncRead for ErrorBodies<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for ErrorBodies<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if let Some((taken, bytes)) = replacement(buf) {
            self.pending = Some((bytes, 0));
            return Poll::Ready(Ok(taken));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // One buffer per write (hyper flattens head and body), so a head is
    // always seen whole at the start of a write.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_answers_get_a_body() {
        let auto = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Mon, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        let (taken, out) = replacement(auto).unwrap();
        assert_eq!(taken, auto.len());
        let out = String::from_utf8(out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("date: Mon"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(!head.contains("content-length: 0"));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "BAD_REQUEST");
    }

    #[test]
    fn the_hosts_own_answers_pass() {
        let own = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nx-amzn-requestid: r\r\ncontent-length: 2\r\n\r\n{}";
        assert!(replacement(own).is_none());
        assert!(replacement(b"HTTP/1.1 200 OK\r\n\r\n").is_none());
        assert!(replacement(b"{\"HTTP/1.1 400\"}").is_none());
        assert!(replacement(b"HTTP/1.1 404 Not Found\r\n\r\n").is_none());
    }
}
