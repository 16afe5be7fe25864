//! The local host as the gateway contract (`contracts/gateway.json`) says,
//! and hostile requests answered in the error model. cdk/test/
//! gateway-contract.test.ts holds the deployed gateway to the same file.

use http::{Method, StatusCode};
use orders_e2e_tests::{order_body, raw_exchange, send, Answer, Host, ORIGIN};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn contract() -> Value {
    serde_json::from_str(include_str!("../../../contracts/gateway.json")).unwrap()
}

fn gateway_response(kind: &str) -> Value {
    contract()["gatewayResponses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
        .clone()
}

fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_ascii_lowercase())
        .collect()
}

fn header_list(a: &Answer, name: &str) -> Vec<String> {
    a.header(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

/// The answer is `kind`'s gateway response: status, code, message (unless
/// templated, or `same_message` is false), CORS and the request id header
/// API Gateway adds.
fn assert_gateway_response(a: &Answer, kind: &str, same_message: bool) {
    let want = gateway_response(kind);
    assert_eq!(
        u64::from(a.status.as_u16()),
        want["status"].as_u64().unwrap(),
        "{kind}: {}",
        a.text()
    );
    let e = a.json();
    assert_eq!(e["error"]["code"], want["code"], "{kind}");
    if same_message && !want["message"].as_str().unwrap().starts_with('$') {
        assert_eq!(e["error"]["message"], want["message"], "{kind}");
    }
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some(ORIGIN),
        "{kind}"
    );
    assert_eq!(
        header_list(a, "access-control-expose-headers"),
        list(&contract()["cors"]["exposeHeaders"])
    );
    assert_eq!(
        a.header("x-amzn-requestid"),
        e["error"]["requestId"].as_str()
    );
}

fn with_origin(host: &Host, key: bool, content_type: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![("origin", ORIGIN.to_string())];
    if key {
        h.push(("x-api-key", host.key().to_string()));
    }
    if let Some(t) = content_type {
        h.push(("content-type", t.to_string()));
    }
    h
}

#[tokio::test]
async fn cors_and_gateway_responses_are_the_contracts() {
    let host = Host::start().await;
    let cors = &contract()["cors"];
    let pre = send(
        host.addr(),
        Method::OPTIONS,
        "/orders/0193a6f1-7c2e-7b3d-9a4f-5e6d7c8b9a01/cancel",
        &[
            ("origin", ORIGIN.to_string()),
            ("access-control-request-method", "POST".to_string()),
        ],
        None,
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        header_list(&pre, "access-control-allow-methods"),
        list(&cors["allowMethods"])
    );
    assert_eq!(
        header_list(&pre, "access-control-allow-headers"),
        list(&cors["allowHeaders"])
    );
    assert_eq!(
        pre.header("access-control-max-age"),
        Some(cors["maxAgeSeconds"].to_string().as_str())
    );

    // A function's answer exposes the contract's headers.
    let body = order_body("c-1", 1, "1.00").into_bytes();
    let ok = send(
        host.addr(),
        Method::POST,
        "/orders",
        &with_origin(&host, true, Some("application/json")),
        Some(body.clone()),
    )
    .await;
    assert_eq!(ok.status, 201);
    assert_eq!(
        header_list(&ok, "access-control-expose-headers"),
        list(&cors["exposeHeaders"])
    );
    assert!(ok.header("x-amzn-requestid").is_some());

    for key in [None, Some("wrong")] {
        let mut h = with_origin(&host, false, None);
        if let Some(k) = key {
            h.push(("x-api-key", k.to_string()));
        }
        let a = send(host.addr(), Method::GET, "/orders", &h, None).await;
        assert_gateway_response(&a, "INVALID_API_KEY", true);
    }
    let json = Some("application/json");
    let big = vec![b' '; contract()["maxBodyBytes"].as_u64().unwrap() as usize + 1];
    let a = send(
        host.addr(),
        Method::POST,
        "/orders",
        &with_origin(&host, true, json),
        Some(big),
    )
    .await;
    // API Gateway's own limit is 10 MiB: past the contract's 64 KiB it is
    // create-order that answers 413, with its own message, and so does the host.
    assert_gateway_response(&a, "REQUEST_TOO_LARGE", false);
    assert_eq!(
        a.json()["error"]["message"],
        "the request body is larger than 65536 bytes"
    );
    let a = send(
        host.addr(),
        Method::POST,
        "/orders",
        &with_origin(&host, true, json),
        Some(b"{}".to_vec()),
    )
    .await;
    assert_gateway_response(&a, "BAD_REQUEST_BODY", true);
    let text = Some("text/plain");
    let a = send(
        host.addr(),
        Method::POST,
        "/orders",
        &with_origin(&host, true, text),
        Some(body.clone()),
    )
    .await;
    assert_gateway_response(&a, "UNSUPPORTED_MEDIA_TYPE", true);
}

/// Each deliberate difference the contract lists is what the host does.
#[tokio::test]
async fn the_local_differences_are_as_documented() {
    let host = Host::start().await;
    let contract = contract();
    let differences = contract["localDifferences"].as_object().unwrap();
    let body = order_body("c-1", 1, "1.00").into_bytes();
    let key = |ct: Option<&str>| with_origin(&host, true, ct);
    let mut seen = BTreeSet::new();
    for (name, d) in differences.iter().filter(|(k, _)| !k.starts_with('$')) {
        let a = match name.as_str() {
            "unknownPath" => send(host.addr(), Method::GET, "/nope", &key(None), None).await,
            "unknownMethod" => send(host.addr(), Method::DELETE, "/orders", &key(None), None).await,
            "headOnGet" => send(host.addr(), Method::HEAD, "/orders", &key(None), None).await,
            "malformedJson" => {
                let h = key(Some("application/json"));
                send(
                    host.addr(),
                    Method::POST,
                    "/orders",
                    &h,
                    Some(b"{".to_vec()),
                )
                .await
            }
            "bodyWithoutContentType" => {
                send(
                    host.addr(),
                    Method::POST,
                    "/orders",
                    &key(None),
                    Some(body.clone()),
                )
                .await
            }
            "preflightFromOtherOrigin" => {
                let h = [("origin", "https://evil.example".to_string())];
                let a = send(host.addr(), Method::OPTIONS, "/orders", &h, None).await;
                assert!(a.header("access-control-allow-origin").is_none());
                a
            }
            other => panic!("no check for the local difference {other}: add one"),
        };
        let local = &d["local"];
        assert_eq!(
            u64::from(a.status.as_u16()),
            local["status"].as_u64().unwrap(),
            "{name}: {}",
            a.text()
        );
        if let Some(code) = local.get("code") {
            assert_eq!(a.json()["error"]["code"], *code, "{name}");
        }
        seen.insert(name.clone());
    }
    // Every listed difference was checked (an unknown one panics above).
    let listed = differences.keys().filter(|k| !k.starts_with('$')).count();
    assert_eq!(seen.len(), listed);
    assert!(listed >= 6, "{listed} differences");
}

#[tokio::test]
async fn bodies_that_are_not_json_are_415_and_write_nothing() {
    let host = Host::start().await;
    let body = order_body("c-415", 1, "1.00");
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let mut h = vec![("x-api-key", host.key().to_string())];
        if let Some(ct) = ct {
            h.push(("content-type", ct.to_string()));
        }
        let a = send(
            host.addr(),
            Method::POST,
            "/orders",
            &h,
            Some(body.clone().into_bytes()),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
        assert_eq!(a.code(), "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(
        host.get("/orders").await.json()["count"],
        0,
        "nothing was written"
    );
    // No body and no Content-Type: the function says the body is missing.
    let h = vec![("x-api-key", host.key().to_string())];
    let a = send(host.addr(), Method::POST, "/orders", &h, None).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.fields(), ["body"]);
    // Parameters and case of the media type do not matter.
    let mut h = h.clone();
    h.push(("content-type", "Application/JSON; charset=utf-8".into()));
    let a = send(
        host.addr(),
        Method::POST,
        "/orders",
        &h,
        Some(body.into_bytes()),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text());
    // Cancel takes no body and needs no Content-Type.
    let location = a.header("location").unwrap().to_string();
    let h = vec![("x-api-key", host.key().to_string())];
    let a = send(
        host.addr(),
        Method::POST,
        &format!("{location}/cancel"),
        &h,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["status"], "CANCELLED");
}

fn post_head(host: &Host, framing: &str) -> String {
    format!(
        "POST /orders HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\ncontent-type: application/json\r\n{framing}\r\n",
        host.key()
    )
}

#[tokio::test]
async fn cut_short_or_badly_chunked_bodies_are_400_not_413() {
    let host = Host::start().await;
    let cases = [
        // Declares 100 bytes, sends 10, ends.
        format!(
            "{}{{\"customer",
            post_head(&host, "content-length: 100\r\n")
        ),
        // A chunk size that is not hex.
        format!(
            "{}zz\r\n{{}}\r\n0\r\n\r\n",
            post_head(&host, "transfer-encoding: chunked\r\n")
        ),
        // A chunk, then the connection ends before the last chunk.
        format!(
            "{}2\r\n{{}}\r\n",
            post_head(&host, "transfer-encoding: chunked\r\n")
        ),
    ];
    for case in &cases {
        let a = raw_exchange(host.addr(), case.as_bytes(), true).await;
        assert_eq!(a.status, 400, "{case:?}: {a:?}");
        assert_eq!(a.json()["error"]["code"], "BAD_REQUEST");
        assert_eq!(a.json()["error"]["details"][0]["field"], "body");
    }
    // Well-formed chunks work, and the limit still applies to them.
    let body = order_body("c-chunked", 1, "1.00");
    let ok = format!(
        "{}{:x}\r\n{body}\r\n0\r\n\r\n",
        post_head(&host, "transfer-encoding: chunked\r\nconnection: close\r\n"),
        body.len()
    );
    let a = raw_exchange(host.addr(), ok.as_bytes(), false).await;
    assert_eq!(a.status, 201, "{a:?}");
    let chunk = " ".repeat(40_000);
    let big = format!(
        "{}{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        post_head(&host, "transfer-encoding: chunked\r\n"),
        chunk.len(),
        chunk.len()
    );
    let a = raw_exchange(host.addr(), big.as_bytes(), true).await;
    assert_eq!(a.status, 413, "{a:?}");
    assert_eq!(a.json()["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(host.get("/orders").await.json()["count"], 1);
}

#[tokio::test]
async fn requests_hyper_refuses_get_the_error_model_too() {
    let host = Host::start().await;
    let huge = format!(
        "GET /orders HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\nx-pad: {}\r\n\r\n",
        host.key(),
        "a".repeat(orders_local::MAX_HEAD_BYTES + 1)
    );
    let cases: [(&[u8], u16); 4] = [
        (huge.as_bytes(), 431),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /orders HTTP/1.1\r\nbad header\r\n\r\n", 400),
        (b"GET /or ders HTTP/1.1\r\nhost: x\r\n\r\n", 400),
    ];
    for (bytes, status) in cases {
        let a = raw_exchange(host.addr(), bytes, false).await;
        assert_eq!(a.status, status, "{a:?}");
        assert_eq!(
            a.header("content-type").as_deref(),
            Some("application/json")
        );
        let e = a.json();
        assert_eq!(e["error"]["code"], "BAD_REQUEST");
        assert_eq!(
            a.header("x-amzn-requestid").as_deref(),
            e["error"]["requestId"].as_str()
        );
    }
}

#[tokio::test]
async fn head_is_get_without_the_body() {
    let host = Host::start().await;
    let created = host.post(&order_body("c-head", 1, "1.00")).await;
    let location = created.header("location").unwrap().to_string();
    for path in ["/orders", location.as_str(), "/health", "/local/queues"] {
        let get = host.get(path).await;
        let head = host.call(Method::HEAD, path, None).await;
        assert_eq!(head.status, 200, "{path}");
        assert_eq!(get.status, 200, "{path}");
        assert!(head.body.is_empty(), "{path}");
        assert_eq!(head.header("content-type"), Some("application/json"));
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}"
        );
    }
    // Without the key, HEAD is refused as GET is.
    let a = send(host.addr(), Method::HEAD, "/orders", &[], None).await;
    assert_eq!(a.status, 403);
    // Where there is no GET, HEAD is not allowed either.
    let a = host
        .call(Method::HEAD, &format!("{location}/cancel"), None)
        .await;
    assert_eq!(a.status, 405);
    assert_eq!(a.header("allow"), Some("POST, OPTIONS"));
}

async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut out))
        .await
        .expect("the host closes the connection")
        .ok();
    out
}

#[tokio::test]
async fn slow_and_silent_clients_are_cut_off() {
    let host = Host::start_configured(|c| {
        c.timeouts.header_read = Duration::from_millis(800);
        c.timeouts.body_read = Duration::from_millis(800);
    })
    .await;
    let limit = Duration::from_secs(4);

    // Connects and sends nothing.
    let started = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    closed_within(&mut silent, limit).await;
    assert!(started.elapsed() >= Duration::from_millis(700));

    // Headers a byte at a time, never finished in time.
    let mut slow = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    let trickle = async {
        for b in b"GET /orders HTTP/1.1\r\nhost: x\r\nx-api-key: abcdefghijklmnopqrstuvwxyz" {
            if slow.write_all(&[*b]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    };
    let cut_off = tokio::time::timeout(limit, trickle).await.unwrap_or(false);
    let rest = closed_within(&mut slow, limit).await;
    assert!(
        cut_off || rest.is_empty(),
        "{}",
        String::from_utf8_lossy(&rest)
    );

    // A body that does not arrive in time: 408 in the error model.
    let mut body = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    let head = post_head(&host, "content-length: 50\r\n");
    body.write_all(head.as_bytes()).await.unwrap();
    body.write_all(b"{\"cust").await.unwrap();
    let out = String::from_utf8(closed_within(&mut body, limit).await).unwrap();
    assert!(out.starts_with("HTTP/1.1 408 "), "{out}");
    assert!(out.contains(r#""code":"BAD_REQUEST""#), "{out}");

    // A keep-alive connection left idle after its answer.
    let mut idle = tokio::net::TcpStream::connect(host.addr()).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let out = String::from_utf8(closed_within(&mut idle, limit).await).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 "), "{out}");

    // The host still serves.
    assert_eq!(host.get("/orders").await.status, 200);
}
