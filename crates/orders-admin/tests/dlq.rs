//! `orders-admin dlq` as an operator runs it: the binary, on a local store
//! file, and on SQS (moto).

mod common;

use aws_sdk_sqs::types::QueueAttributeName;
use common::{admin, moto, ok_json, ok_text, uuid_ish};
use orders_aws_messaging::{sqs_client, AwsEnv};
use orders_local_aws::queue::{Queue, QueueConfig};
use orders_sqlite::SqliteStore;
use std::path::Path;
use std::time::Duration;

const BODY: &str = r#"{"eventType":"OrderCreated","eventVersion":1,"orderId":"019a1b2c-3d4e-7f00-8a00-0123456789ab"}"#;

/// Sends `body` to `queue` and receives it until it is dead-lettered;
/// returns its message id.
async fn dead_letter(queue: &Queue, body: &str) -> String {
    let id = queue.send(body).await.unwrap();
    let tiny = Duration::from_millis(1);
    for n in 1..=3 {
        let got = queue.receive(1, Duration::ZERO, tiny).await.unwrap();
        assert_eq!(got.len(), 1, "receive {n}");
        assert_eq!(got[0].receive_count, n);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(queue
        .receive(1, Duration::ZERO, tiny)
        .await
        .unwrap()
        .is_empty());
    id
}

fn local_queue(db: &Path, name: &str) -> Queue {
    let store = SqliteStore::open_with(db, &[orders_local_aws::MIGRATION]).unwrap();
    Queue::new(store, QueueConfig::new(name)).unwrap()
}

#[tokio::test]
async fn local_list_peek_redrive() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.db");
    let queue = local_queue(&db, "order-events");
    let id = dead_letter(&queue, BODY).await;
    let db_arg = db.to_str().unwrap();

    let list = ok_json(&["dlq", "list", "--db", db_arg, "--json"], &[]);
    assert_eq!(list["backend"], "local");
    assert_eq!(list["deadLetterQueue"], "order-events-dlq");
    assert_eq!(list["sourceQueue"], "order-events");
    assert_eq!(list["count"], 1);
    assert!(list.get("messages").is_none());

    let peek = ok_json(&["dlq", "peek", "--db", db_arg, "--json"], &[]);
    let m = &peek["messages"][0];
    assert_eq!(peek["messages"].as_array().unwrap().len(), 1);
    assert_eq!(m["messageId"], id.as_str());
    assert_eq!(m["receiveCount"], 3);
    assert_eq!(m["body"], BODY);
    for field in ["sentAt", "firstReceivedAt", "deadLetteredAt"] {
        let t = m[field].as_str().unwrap_or_else(|| panic!("{field}: {m}"));
        assert!(t.ends_with('Z') && t.len() == 24, "{field}: {t}");
    }
    assert!(m["firstReceivedAt"].as_str() <= m["deadLetteredAt"].as_str());

    // The text form says the same for a person.
    let text = ok_text(&["dlq", "peek", "--db", db_arg], &[]);
    assert!(text.starts_with("order-events-dlq: 1 message\n"), "{text}");
    assert!(
        text.contains(&format!("message {id}\n  receives        3")),
        "{text}"
    );
    assert!(text.contains(BODY), "{text}");

    // Another queue of the same store has no dead letters.
    let other = ok_json(
        &[
            "dlq",
            "list",
            "--db",
            db_arg,
            "--queue",
            "order-notifications",
            "--json",
        ],
        &[],
    );
    assert_eq!(other["deadLetterQueue"], "order-notifications-dlq");
    assert_eq!(other["count"], 0);

    let redriven = ok_json(&["dlq", "redrive", "--db", db_arg, "--json"], &[]);
    assert_eq!(redriven["moved"], 1);
    assert_eq!(redriven["destination"], "order-events");

    // Back on the source queue, receive count reset; the DLQ is empty.
    let back = queue
        .receive(1, Duration::from_secs(2), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].message_id, id);
    assert_eq!(back[0].body, BODY);
    assert_eq!(back[0].receive_count, 1);
    let list = ok_json(&["dlq", "list", "--db", db_arg, "--json"], &[]);
    assert_eq!(list["count"], 0);
    assert_eq!(list["sourceInFlight"], 1);
}

#[tokio::test]
async fn local_redrive_of_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.db");
    let queue = local_queue(&db, "order-notifications");
    let first = dead_letter(&queue, r#"{"n":1}"#).await;
    let second = dead_letter(&queue, r#"{"n":2}"#).await;
    let db_arg = db.to_str().unwrap();
    let q = ["--db", db_arg, "--queue", "order-notifications"];

    let out = ok_json(
        &[
            &["dlq", "redrive"][..],
            &q,
            &["--message-id", &second, "--message-id", "nope", "--json"],
        ]
        .concat(),
        &[],
    );
    assert_eq!(out["moved"], 1);
    assert_eq!(out["notFound"], serde_json::json!(["nope"]));
    let peek = ok_json(&[&["dlq", "peek"][..], &q, &["--json"]].concat(), &[]);
    assert_eq!(peek["count"], 1);
    assert_eq!(peek["messages"][0]["messageId"], first.as_str());

    let text = ok_text(&[&["dlq", "redrive"][..], &q].concat(), &[]);
    assert_eq!(
        text,
        "order-notifications-dlq: 1 message moved back to order-notifications\n"
    );
}

#[test]
fn refusals() {
    let out = admin(&["dlq", "list", "--db", "/nonexistent/orders.db"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no local store at /nonexistent/orders.db"),
        "{err}"
    );

    let out = admin(
        &[
            "dlq",
            "redrive",
            "--queue-url",
            "http://127.0.0.1:9/q",
            "--message-id",
            "x",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--message-id is for the local store"));

    let out = admin(&["dlq", "redrive", "--by-copy"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --queue-url"));

    // Usage errors are clap's: status 2.
    assert_eq!(admin(&["dlq", "frobnicate"], &[]).status.code(), Some(2));
}

// --- AWS (moto) ----------------------------------------------------------------

#[tokio::test]
async fn aws_list_peek_redrive_on_moto() {
    let Some(endpoint) = moto("aws_list_peek_redrive_on_moto") else {
        return;
    };
    let sqs = sqs_client(&AwsEnv::new("us-east-1", "testing", "testing").with_endpoint(&endpoint));
    let suffix = format!("{}-{}", std::process::id(), uuid_ish());
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("admin-dlq-{suffix}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = orders_aws_messaging::dlq::queue_arn(&sqs, &dlq_url)
        .await
        .unwrap();
    let source_url = sqs
        .create_queue()
        .queue_name(format!("admin-src-{suffix}"))
        .attributes(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3" })
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.send_message()
        .queue_url(&source_url)
        .message_body(BODY)
        .send()
        .await
        .unwrap();
    let receive = || async {
        sqs.receive_message()
            .queue_url(&source_url)
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    for _ in 0..3 {
        assert_eq!(receive().await.len(), 1);
    }
    assert!(
        receive().await.is_empty(),
        "dead-lettered on the 4th receive"
    );

    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let list = ok_json(&["dlq", "list", "--queue-url", &dlq_url, "--json"], &env);
    assert_eq!(list["backend"], "aws");
    assert_eq!(list["deadLetterQueue"], dlq_url.as_str());
    assert_eq!(list["count"], 1);

    let peek = ok_json(
        &[
            "dlq",
            "peek",
            "--queue-url",
            &dlq_url,
            "--limit",
            "5",
            "--json",
        ],
        &env,
    );
    let m = &peek["messages"][0];
    assert_eq!(m["body"], BODY);
    assert!(m["receiveCount"].as_u64().unwrap() >= 3, "{m}");
    assert!(
        m["sentAt"].is_string() && m["firstReceivedAt"].is_string(),
        "{m}"
    );

    // moto has no message move tasks: the command says to copy instead.
    let out = admin(&["dlq", "redrive", "--queue-url", &dlq_url], &env);
    if out.status.success() {
        eprintln!("this endpoint supports StartMessageMoveTask");
    } else {
        assert!(String::from_utf8_lossy(&out.stderr).contains("use --by-copy"));
        let redriven = ok_json(
            &[
                "dlq",
                "redrive",
                "--queue-url",
                &dlq_url,
                "--by-copy",
                "--json",
            ],
            &env,
        );
        assert_eq!(redriven["method"], "copy");
        assert_eq!(redriven["moved"], 1);
        assert_eq!(redriven["destination"], source_url.as_str());
    }
    let mut back = Vec::new();
    for _ in 0..10 {
        back = receive().await;
        if !back.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].body.as_deref(), Some(BODY));
    let list = ok_json(&["dlq", "list", "--queue-url", &dlq_url, "--json"], &env);
    assert_eq!(list["count"], 0);
}
