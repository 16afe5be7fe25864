//! The connection a function opens at cold start: what it sends (DynamoDB's
//! health check, no operation) and that the first real call reuses it.
//! Against a loopback HTTP/1.1 server that records every request with the
//! connection it came on.

use aws_sdk_dynamodb::types::AttributeValue;
use orders_aws_runtime::AwsEnv;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    connection: usize,
    request_line: String,
    headers: Vec<(String, String)>,
    body_len: usize,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Answers `GET /` as DynamoDB does and any POST with an empty JSON object
/// (a `GetItem` that found nothing), keeping every connection open.
async fn server() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        for connection in 0.. {
            let (stream, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                loop {
                    let mut request_line = String::new();
                    if read.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut headers = Vec::new();
                    loop {
                        let mut line = String::new();
                        read.read_line(&mut line).await.unwrap();
                        let line = line.trim_end();
                        if line.is_empty() {
                            break;
                        }
                        let (n, v) = line.split_once(':').unwrap();
                        headers.push((n.trim().to_string(), v.trim().to_string()));
                    }
                    let seen = Seen {
                        connection,
                        request_line: request_line.trim_end().to_string(),
                        headers,
                        body_len: 0,
                    };
                    let len: usize = seen
                        .header("content-length")
                        .map_or(0, |v| v.parse().unwrap());
                    let mut body = vec![0; len];
                    read.read_exact(&mut body).await.unwrap();
                    let response = if seen.request_line.starts_with("GET / ") {
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 41\r\n\r\nhealthy: dynamodb.us-east-1.amazonaws.com"
                    } else {
                        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: 2\r\n\r\n{}"
                    };
                    log.lock().unwrap().push(Seen {
                        body_len: len,
                        ..seen
                    });
                    write.write_all(response.as_bytes()).await.unwrap();
                }
            });
        }
    });
    (url, seen)
}

fn client_for(url: &str) -> aws_sdk_dynamodb::Client {
    orders_dynamodb::client(&AwsEnv::new("us-east-1", "AKIDEXAMPLE", "secret").with_endpoint(url))
}

async fn get_item(client: &aws_sdk_dynamodb::Client) {
    client
        .get_item()
        .table_name("orders")
        .key("PK", AttributeValue::S("ORDER#1".into()))
        .key("SK", AttributeValue::S("ORDER".into()))
        .send()
        .await
        .expect("GetItem answered");
}

#[tokio::test]
async fn sends_the_health_check_and_no_operation() {
    let (url, seen) = server().await;
    assert!(orders_dynamodb::open_connection(client_for(&url)).await);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let check = &seen[0];
    assert_eq!(check.request_line, "GET / HTTP/1.1");
    assert_eq!(check.header("x-amz-target"), None, "no operation is named");
    assert_eq!(check.body_len, 0);
    // Signed as the client signs its calls (the header DynamoDB expects).
    assert!(check
        .header("authorization")
        .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")));
}

#[tokio::test]
async fn the_first_call_reuses_the_connection() {
    let (url, seen) = server().await;
    let client = client_for(&url);
    assert!(orders_dynamodb::open_connection(client.clone()).await);
    get_item(&client).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        seen[1].header("x-amz-target"),
        Some("DynamoDB_20120810.GetItem")
    );
    assert_eq!(
        seen[0].connection, seen[1].connection,
        "one connection: {seen:?}"
    );
}

#[tokio::test]
async fn a_server_that_is_not_there_costs_one_failed_connect() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    assert!(!orders_dynamodb::open_connection(client_for(&url)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_starts_it_when_its_client_is_built() {
    let (url, seen) = server().await;
    std::env::set_var("AWS_REGION", "us-east-1");
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", &url);
    let client = orders_dynamodb::client_from_env_in_background().unwrap();
    for _ in 0..500 {
        if !seen.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    get_item(client.get()).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].request_line, "GET / HTTP/1.1");
    assert_eq!(seen[0].connection, seen[1].connection, "{seen:?}");
}
