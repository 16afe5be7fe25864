//! The status page: static files built into the binary from `ui/` (no
//! data in them, so they need no key; the page sends `x-api-key` on every
//! data request it makes), served with a strict CSP, and only to a `Host`
//! of this host (`127.0.0.1:PORT` or `localhost:PORT`: a DNS-rebound name
//! gets nothing).

use crate::errors::model_error;
use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, HOST};
use std::net::SocketAddr;

/// One file of the page.
pub(crate) struct Asset {
    pub(crate) name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

impl std::fmt::Debug for Asset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Asset({})", self.name)
    }
}

/// What the page's answers carry: no inline script or style, no other
/// origin, no framing.
pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

const ASSETS: &[Asset] = &[
    Asset {
        name: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../ui/index.html"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../ui/app.js"),
    },
    Asset {
        name: "render.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../ui/render.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../ui/app.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../ui/favicon.svg"),
    },
];

/// The asset at `path`: `/` is the page, `/ui/<file>` its files.
pub(crate) fn asset(path: &str) -> Option<&'static Asset> {
    let name = match path {
        "/" => "index.html",
        _ => path.strip_prefix("/ui/")?,
    };
    ASSETS.iter().find(|a| a.name == name)
}

/// Whether `headers` name this host: `127.0.0.1:PORT` or `localhost:PORT`
/// with the port the connection came in on.
fn host_ok(headers: &HeaderMap, local: Option<SocketAddr>) -> bool {
    let (Some(host), Some(local)) = (headers.get(HOST), local) else {
        return false;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let port = local.port();
    host == format!("127.0.0.1:{port}") || host.eq_ignore_ascii_case(&format!("localhost:{port}"))
}

/// The answer to `GET /` or `GET /ui/<file>`.
pub(crate) fn page(
    asset: &'static Asset,
    headers: &HeaderMap,
    local: Option<SocketAddr>,
    request_id: &str,
) -> Response {
    if !host_ok(headers, local) {
        return model_error(
            403,
            crate::errors::codes::FORBIDDEN,
            "the status page answers only to Host 127.0.0.1:PORT or localhost:PORT",
            request_id,
        );
    }
    let mut resp = Response::new(Body::from(asset.body));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_and_hosts() {
        assert_eq!(asset("/").unwrap().name, "index.html");
        assert_eq!(asset("/ui/app.js").unwrap().name, "app.js");
        assert!(asset("/ui/nope.js").is_none());
        assert!(asset("/ui/").is_none());
        assert!(asset("/index.html").is_none());
        let local = Some(SocketAddr::from(([127, 0, 0, 1], 4000)));
        let with = |h: &str| {
            let mut m = HeaderMap::new();
            m.insert(HOST, HeaderValue::from_str(h).unwrap());
            m
        };
        assert!(host_ok(&with("127.0.0.1:4000"), local));
        assert!(host_ok(&with("LOCALHOST:4000"), local));
        assert!(!host_ok(&with("127.0.0.1:4001"), local));
        assert!(!host_ok(&with("evil.example:4000"), local));
        assert!(!host_ok(&with("127.0.0.1"), local));
        assert!(!host_ok(&HeaderMap::new(), local));
        assert!(!host_ok(&with("127.0.0.1:4000"), None));
    }
}
