//! The DynamoDB endpoint the functions talk to: a moto server on loopback
//! (with the orders table created), or a closed loopback port so calls that
//! reach the store fail fast.

use std::net::SocketAddr;
use std::time::Duration;

use http::Method;
use serde_json::{json, Value};

use super::TABLE_NAME;
use crate::http_client;
use crate::Result;

pub struct Backend {
    /// `AWS_ENDPOINT_URL_DYNAMODB` of the functions.
    pub endpoint: String,
    /// `moto <endpoint>` or `none (closed loopback port)` (lambda.json's
    /// `backend`).
    pub description: String,
    /// Whether store calls can succeed (decides the expected statuses).
    pub has_store: bool,
}

impl Backend {
    /// moto at `url` (loopback only), or a closed port without one.
    pub async fn connect(url: Option<&str>) -> Result<Self> {
        match url {
            Some(url) => {
                let addr = http_client::loopback_addr(url)?;
                ensure_table(addr).await?;
                Ok(Self {
                    endpoint: format!("http://{addr}"),
                    description: format!("moto {url}"),
                    has_store: true,
                })
            }
            None => {
                // Bound and released: nothing listens there afterwards.
                let addr = http_client::free_loopback_addr()?;
                Ok(Self {
                    endpoint: format!("http://{addr}"),
                    description: "none (closed loopback port)".to_string(),
                    has_store: false,
                })
            }
        }
    }
}

/// Creates the orders table (keys and GSIs of contracts/table-keys.json) in moto.
async fn ensure_table(addr: SocketAddr) -> Result<()> {
    create_table(addr, &create_table_request()?).await
}

/// `CreateTable` with `body`; a table that exists already is fine.
pub(crate) async fn create_table(addr: SocketAddr, body: &Value) -> Result<()> {
    match aws_json(addr, "dynamodb", "DynamoDB_20120810.CreateTable", body).await {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("ResourceInUseException") => Ok(()),
        Err(e) => Err(e),
    }
}

/// One AWS JSON-protocol call (`x-amz-target`) to moto at `addr`, signed
/// (in name only) for `service`, which moto routes by; the response body as
/// JSON.
pub(crate) async fn aws_json(
    addr: SocketAddr,
    service: &str,
    target: &str,
    body: &Value,
) -> Result<Value> {
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=ASIABENCHBENCHBENCH0/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
    );
    let resp = http_client::send(
        addr,
        Method::POST,
        "/",
        &[
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target),
            ("authorization", authorization.as_str()),
        ],
        serde_json::to_vec(body)?,
        Duration::from_secs(10),
    )
    .await?;
    let text = String::from_utf8_lossy(&resp.body);
    if resp.status == 200 {
        Ok(serde_json::from_slice(&resp.body).unwrap_or(Value::Null))
    } else {
        Err(format!("{target} on moto: {} {text}", resp.status).into())
    }
}

/// The `CreateTable` body: the keys and indexes of the orders table as
/// `contracts/table-keys.json` defines them (`orders_dynamodb::table_definition`,
/// which the deployed table and the tests' tables are made from), all string
/// keys, projection ALL.
fn create_table_request() -> Result<Value> {
    let def = orders_dynamodb::table_definition()?;
    let key = |name: &str, kind: &str| json!({"AttributeName": name, "KeyType": kind});
    let attributes: Vec<Value> = def
        .key_attributes()
        .into_iter()
        .map(|n| json!({"AttributeName": n, "AttributeType": "S"}))
        .collect();
    let indexes: Vec<Value> = def
        .indexes
        .iter()
        .map(|i| {
            json!({
                "IndexName": i.name,
                "KeySchema": [key(&i.partition_key, "HASH"), key(&i.sort_key, "RANGE")],
                "Projection": {"ProjectionType": "ALL"}
            })
        })
        .collect();
    Ok(json!({
        "TableName": TABLE_NAME,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": [key(&def.partition_key, "HASH"), key(&def.sort_key, "RANGE")],
        "GlobalSecondaryIndexes": indexes
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_moto_the_store_is_a_closed_loopback_port() {
        let b = Backend::connect(None).await.unwrap();
        assert!(!b.has_store);
        assert_eq!(b.description, "none (closed loopback port)");
        let addr = http_client::loopback_addr(&b.endpoint).unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[tokio::test]
    async fn refuses_a_remote_moto() {
        assert!(Backend::connect(Some("http://10.1.2.3:5000"))
            .await
            .is_err());
    }

    #[test]
    fn table_has_every_key_attribute_declared() {
        let t = create_table_request().unwrap();
        assert_eq!(t["TableName"], TABLE_NAME);
        let declared: Vec<&str> = t["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["AttributeName"].as_str().unwrap())
            .collect();
        let mut used = vec![&t["KeySchema"]];
        for gsi in t["GlobalSecondaryIndexes"].as_array().unwrap() {
            used.push(&gsi["KeySchema"]);
        }
        for schema in used {
            for k in schema.as_array().unwrap() {
                assert!(declared.contains(&k["AttributeName"].as_str().unwrap()));
            }
        }
        assert_eq!(declared.len(), 6);
        let mut names: Vec<&str> = t["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["IndexName"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["byCreatedAt", "byStatus"]);
    }
}
