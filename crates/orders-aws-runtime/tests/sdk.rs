//! A real SDK client (SQS) built from [`AwsEnv::sdk_config`]: it goes to its
//! own endpoint override rather than the general one, and the errors it
//! returns classify as they should.

use orders_aws_runtime::{classify, AwsEnv};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on 127.0.0.1 that answers every request with `status` and an
/// empty body; returns its URL and how many requests it has answered.
async fn answering(status: &'static str) -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                // One read holds the small request; the answer closes the connection.
                let _ = socket.read(&mut buf).await;
                let _ = tx.send(());
                let answer =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, rx)
}

/// A port on 127.0.0.1 nothing listens on.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[tokio::test]
async fn the_service_override_wins_and_a_refusal_is_not_retryable() {
    let (url, mut answered) = answering("400 Bad Request").await;
    let env = AwsEnv::new("us-east-1", "testing", "testing")
        .with_endpoint(closed_port().await)
        .with_service_endpoint("SQS", &url);
    let client = aws_sdk_sqs::Client::new(&env.sdk_config());
    let err = client.list_queues().send().await.unwrap_err();
    let failure = classify("ListQueues", &err);
    assert!(!failure.retryable, "{failure:?}");
    assert_eq!(failure.code, "HTTP 400");
    // It reached the override (the general endpoint refuses connections),
    // once: a refusal is not retried by the SDK either.
    assert!(answered.try_recv().is_ok());
    assert!(answered.try_recv().is_err());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retryable() {
    let env = AwsEnv::new("us-east-1", "testing", "testing").with_endpoint(closed_port().await);
    let client = aws_sdk_sqs::Client::new(&env.sdk_config());
    let err = client.list_queues().send().await.unwrap_err();
    let failure = classify("ListQueues", &err);
    assert!(failure.retryable, "{failure:?}");
    assert_eq!(failure.code, "DispatchFailure");
}
