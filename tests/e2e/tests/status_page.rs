//! The status page at `/`: its files and headers, the `Host` check, the
//! API key on every data resource it reads, the endpoints it adds
//! (`/local/summary`, `/local/orders/{id}`, `/local/reservations`, a
//! queue's dead letters and their redrive), and the page itself in a real
//! browser (tests/browser/status-page.mjs).

use http::{Method, StatusCode};
use orders_e2e_tests::client::{wait_for, Client};
use orders_e2e_tests::dlq::host_with_a_dead_letter;
use orders_e2e_tests::{raw_exchange, send, Host};
use orders_local::pipeline::{PipelineConfig, NOTIFICATIONS_QUEUE, ORDER_EVENTS_QUEUE};
use serde_json::Value;
use std::time::Duration;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'";

fn pipeline() -> PipelineConfig {
    PipelineConfig {
        visibility_timeout: Duration::from_secs(1),
        retry_wait_scale: 0.01,
        ..PipelineConfig::default()
    }
}

#[tokio::test]
async fn the_page_is_served_without_the_key_and_its_data_only_with_it() {
    let host = Host::start().await;
    for (path, kind) in [
        ("/", "text/html; charset=utf-8"),
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/render.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let a = send(host.addr(), Method::GET, path, &[], None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text());
        assert_eq!(a.header("content-type"), Some(kind), "{path}");
        assert_eq!(a.header("content-security-policy"), Some(CSP), "{path}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(a.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(a.header("cache-control"), Some("no-store"));
        // No CDN: nothing the page loads comes from elsewhere (the SVG
        // namespace is a name, not an address).
        let text = a.text().replace("http://www.w3.org/", "");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path}"
        );
    }
    let page = send(host.addr(), Method::GET, "/", &[], None).await.text();
    assert!(page.contains(r#"src="/ui/app.js""#), "{page}");
    assert!(
        !page.contains("<script>") && !page.contains("style="),
        "inline: {page}"
    );

    let head = send(host.addr(), Method::HEAD, "/", &[], None).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    let post = send(host.addr(), Method::POST, "/", &[], None).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    let missing = send(host.addr(), Method::GET, "/ui/nope.js", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Every data resource the page reads or writes needs the key.
    let id = uuid::Uuid::now_v7();
    for (method, path) in [
        (Method::GET, "/local/summary".to_string()),
        (Method::GET, "/local/reservations".to_string()),
        (Method::GET, format!("/local/orders/{id}")),
        (
            Method::GET,
            format!("/local/queues/{ORDER_EVENTS_QUEUE}/dead-letters"),
        ),
        (
            Method::POST,
            format!("/local/queues/{ORDER_EVENTS_QUEUE}/redrive"),
        ),
        (Method::GET, "/orders".to_string()),
        (Method::GET, "/local/stock".to_string()),
    ] {
        let wrong = [("x-api-key", "wrong".to_string())];
        for headers in [&[][..], &wrong[..]] {
            let a = send(host.addr(), method.clone(), &path, headers, None).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
    host.server.stop().await.unwrap();
}

#[tokio::test]
async fn a_foreign_host_header_gets_no_page() {
    let host = Host::start().await;
    let port = host.addr().port();
    let get = |h: String| format!("GET / HTTP/1.1\r\nhost: {h}\r\nconnection: close\r\n\r\n");
    for bad in [
        format!("attacker.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_string(),
    ] {
        let a = raw_exchange(host.addr(), get(bad.clone()).as_bytes(), false).await;
        assert_eq!(a.status, 403, "{bad}: {a:?}");
        assert_eq!(a.json()["error"]["code"], "FORBIDDEN");
        assert!(!a.body.contains("<html"), "{bad}");
    }
    for good in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let a = raw_exchange(host.addr(), get(good.clone()).as_bytes(), false).await;
        assert_eq!(a.status, 200, "{good}: {a:?}");
        assert!(a.body.contains("<html"), "{good}");
    }
    host.server.stop().await.unwrap();
}

/// `counts[status]` of the summary.
fn count(summary: &Value, status: &str) -> u64 {
    summary["counts"][status]
        .as_u64()
        .unwrap_or_else(|| panic!("{summary}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_counts_orders_per_status_and_the_detail_has_everything() {
    let host = Host::start().await;
    let c = Client::of(&host);
    let empty = c.local("/local/summary").await;
    for s in ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"] {
        assert_eq!(count(&empty, s), 0, "{empty}");
    }
    let body = |sku: &str, token: &str| {
        format!(
            r#"{{"customerId":"page-1","paymentToken":"{token}","items":[{{"sku":"{sku}","quantity":1,"price":"5.00"}}]}}"#
        )
    };
    let done = c.create_body(&body("mouse", "tok_approve")).await.unwrap();
    let declined = c
        .create_body(&body("mouse", "tok_decline_card"))
        .await
        .unwrap();
    let unstocked = c
        .create_body(&body("unstocked-sku", "tok_approve"))
        .await
        .unwrap();
    let pending = c.local("/local/summary").await;
    assert_eq!(count(&pending, "PENDING"), 3, "{pending}");
    assert_eq!(pending["outbox"], 3, "{pending}");
    assert_eq!(pending["queues"], c.queues().await["queues"]);

    let host = host.restart_with(Some(pipeline())).await;
    let c = Client::of(&host);
    wait_for("three settled orders", Duration::from_secs(30), || {
        let c = c.clone();
        async move {
            let s = c.local("/local/summary").await;
            count(&s, "COMPLETED") == 1 && count(&s, "FAILED") == 2
        }
    })
    .await;
    let summary = c.local("/local/summary").await;
    let statuses = c.statuses().await;
    for s in ["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"] {
        let listed = statuses.values().filter(|v| *v == s).count() as u64;
        assert_eq!(count(&summary, s), listed, "{s}: {summary}");
    }

    let detail = c.local(&format!("/local/orders/{done}")).await;
    assert_eq!(detail["order"]["status"], "COMPLETED", "{detail}");
    assert!(detail["order"].get("customerEmail").is_none());
    assert_eq!(detail["execution"]["status"], "SUCCEEDED", "{detail}");
    assert_eq!(detail["payment"]["status"], "CHARGED", "{detail}");
    assert_eq!(detail["reservations"][0]["status"], "RESERVED", "{detail}");
    assert_eq!(detail["reservations"][0]["lines"][0]["sku"], "mouse");
    let reservations = c
        .local(&format!("/local/reservations?orderId={done}"))
        .await;
    assert_eq!(reservations["reservations"], detail["reservations"]);
    wait_for("two notifications", Duration::from_secs(30), || {
        let c = c.clone();
        let path = format!("/local/orders/{done}");
        async move {
            c.local(&path).await["notifications"]
                .as_array()
                .unwrap()
                .len()
                == 2
        }
    })
    .await;

    let detail = c.local(&format!("/local/orders/{declined}")).await;
    assert_eq!(
        detail["order"]["statusReason"], "PAYMENT_DECLINED",
        "{detail}"
    );
    assert_eq!(detail["payment"]["status"], "DECLINED", "{detail}");
    assert_eq!(detail["reservations"], serde_json::json!([]));

    let detail = c.local(&format!("/local/orders/{unstocked}")).await;
    assert_eq!(detail["order"]["statusReason"], "OUT_OF_STOCK", "{detail}");
    assert_eq!(detail["payment"]["status"], "REFUNDED", "{detail}");
    assert!(
        detail["payment"]["refund"]["refundId"].is_string(),
        "{detail}"
    );
    let states: Vec<&str> = detail["execution"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "StateEntered")
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"RefundOutOfStock"), "{states:?}");

    let unknown = c
        .call(
            Method::GET,
            &format!("/local/orders/{}", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = c.call(Method::GET, "/local/orders/nope", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    host.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redrive_endpoint_moves_the_dead_letter_back() {
    let (host, id) = host_with_a_dead_letter(pipeline()).await;
    let c = Client::of(&host);
    let path = format!("/local/queues/{ORDER_EVENTS_QUEUE}/redrive");
    let letters = c
        .local(&format!("/local/queues/{ORDER_EVENTS_QUEUE}/dead-letters"))
        .await;
    assert_eq!(letters["count"], 1, "{letters}");
    let letter = &letters["deadLetters"][0];
    assert_eq!(letter["receiveCount"], 3, "{letters}");
    assert!(
        letter["bodyPreview"].as_str().unwrap().contains(&id),
        "{letters}"
    );
    assert!(letter["deadLetteredAt"].is_string(), "{letters}");
    let empty = c
        .local(&format!("/local/queues/{NOTIFICATIONS_QUEUE}/dead-letters"))
        .await;
    assert_eq!(empty["count"], 0, "{empty}");

    // Refusals: unknown queue, wrong method, not JSON, a bad body.
    let a = c
        .call(Method::POST, "/local/queues/nope/redrive", None)
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND".into())
    );
    let a = c
        .call(Method::GET, "/local/queues/nope/dead-letters", None)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = c.call(Method::GET, &path, None).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.header("allow"), Some("POST, OPTIONS"));
    let text = [
        ("x-api-key", host.key().to_string()),
        ("content-type", "text/plain".to_string()),
    ];
    let a = send(
        host.addr(),
        Method::POST,
        &path,
        &text,
        Some(b"{}".to_vec()),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let a = c
        .call(Method::POST, &path, Some(r#"{"messageIds":"all"}"#))
        .await;
    assert_eq!(
        (a.status, a.fields()),
        (StatusCode::BAD_REQUEST, vec!["messageIds".into()])
    );
    let a = c.call(Method::POST, &path, Some("{")).await;
    assert_eq!(a.code(), "MALFORMED_JSON");

    // An id that is no dead letter moves nothing and is reported.
    let a = c
        .call(Method::POST, &path, Some(r#"{"messageIds":["nope"]}"#))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(
        a.json(),
        serde_json::json!({"queue": ORDER_EVENTS_QUEUE, "moved": 0, "notFound": ["nope"]})
    );
    assert_eq!(c.statuses().await[&id], "PENDING");

    let a = c.call(Method::POST, &path, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["moved"], 1);
    wait_for(
        "the redriven order to complete",
        Duration::from_secs(30),
        || {
            let c = c.clone();
            let id = id.clone();
            async move { c.statuses().await[&id] == "COMPLETED" }
        },
    )
    .await;
    let summary = c.local("/local/summary").await;
    assert_eq!(
        summary["queues"][ORDER_EVENTS_QUEUE]["deadLetters"], 0,
        "{summary}"
    );
    host.server.stop().await.unwrap();
}

/// The repository's root (tests/e2e/../..).
fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The browser, or why the browser test cannot run here (then it skips,
/// unless `ORDERS_REQUIRE_BROWSER=1`, as in `.ci/run`).
fn browser() -> Result<std::path::PathBuf, String> {
    let chromium = std::env::var_os("ORDERS_CHROMIUM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err("node is not on PATH".into());
    }
    let playwright = repo_root().join("node_modules/playwright-core/package.json");
    if !playwright.is_file() {
        return Err(format!(
            "{} is missing (scripts/setup.sh)",
            playwright.display()
        ));
    }
    if !chromium.is_file() {
        return Err(format!(
            "{} is missing (scripts/setup.sh, or ORDERS_CHROMIUM)",
            chromium.display()
        ));
    }
    Ok(chromium)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_in_a_real_browser() {
    let chromium = match browser() {
        Ok(c) => c,
        Err(why) if std::env::var("ORDERS_REQUIRE_BROWSER").as_deref() != Ok("1") => {
            println!("skipped: {why}");
            return;
        }
        Err(why) => panic!("ORDERS_REQUIRE_BROWSER=1 but {why}"),
    };
    let root = repo_root();
    // ORDERS_SCREENSHOT=docs/img/status-page.png updates the documented one.
    let screenshot = root.join(
        std::env::var("ORDERS_SCREENSHOT").unwrap_or_else(|_| "target/status-page.png".into()),
    );
    let _ = std::fs::remove_file(&screenshot);
    let (host, dead_lettered) = host_with_a_dead_letter(pipeline()).await;
    let mut cmd = std::process::Command::new("node");
    cmd.arg(root.join("tests/browser/status-page.mjs"))
        .arg(host.server.url())
        .arg(host.key())
        .env("ORDERS_CHROMIUM", &chromium)
        .env("ORDERS_SCREENSHOT", &screenshot)
        .env("ORDERS_DEAD_LETTER_ORDER", &dead_lettered)
        .current_dir(&root);
    let out = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::task::spawn_blocking(move || cmd.output()),
    )
    .await
    .expect("the browser test finishes within 5 minutes")
    .unwrap()
    .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{log}");
    assert!(out.status.success(), "the browser test failed:\n{log}");
    let png = std::fs::read(&screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{}", screenshot.display());

    // What the page did, seen from the API.
    let c = Client::of(&host);
    let summary = c.local("/local/summary").await;
    assert_eq!(
        summary["queues"][ORDER_EVENTS_QUEUE]["deadLetters"], 0,
        "{summary}"
    );
    assert_eq!(c.statuses().await[&dead_lettered], "COMPLETED");
    assert_eq!(
        (count(&summary, "COMPLETED"), count(&summary, "FAILED")),
        (3, 2),
        "{summary}"
    );
    host.server.stop().await.unwrap();
}
