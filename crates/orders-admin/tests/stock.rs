//! `orders-admin stock` as an operator runs it: the binary, on a local store
//! file and on a table (moto).

mod common;

use common::{admin, moto, ok_json, ok_text, uuid_ish};
use orders_core::inventory::{ReservationLine, ReserveOutcome, StockFile};
use orders_core::model::OrderStatus;
use orders_core::ports::OrderWriter;
use orders_core::ports::{Inventory, StockAdmin};
use orders_sqlite::SqliteStore;
use serde_json::Value;

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../contracts/stock/seed.json"
);

/// `sku: available/reserved` of a JSON report's items, in order.
fn levels(report: &Value) -> Vec<String> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|l| {
            format!(
                "{}: {}/{}",
                l["sku"].as_str().unwrap(),
                l["available"],
                l["reserved"]
            )
        })
        .collect()
}

/// What the seed file sets, sorted by SKU as a listing returns it.
fn seeded() -> Vec<String> {
    let text = std::fs::read_to_string(SEED).expect("the seed file");
    let mut items = StockFile::parse(&text).expect("a stock file").items;
    items.sort_by(|a, b| a.sku.cmp(&b.sku));
    items
        .iter()
        .map(|i| format!("{}: {}/0", i.sku, i.quantity))
        .collect()
}

/// import, list, get and set on `target` (`--db FILE` or `--table NAME`),
/// with the environment `env`.
fn exercise(target: &[&str], env: &[(&str, &str)]) {
    let run = |args: &[&str]| ok_json(&[args, target, &["--json"]].concat(), env);
    let imported = run(&["stock", "import", SEED]);
    assert_eq!(imported["action"], "import");
    assert_eq!(imported["items"].as_array().unwrap().len(), seeded().len());
    let listed = run(&["stock", "list"]);
    assert_eq!(levels(&listed), seeded());

    let set = run(&["stock", "set", "laptop", "7"]);
    assert_eq!(levels(&set), vec!["laptop: 7/0"]);
    assert_eq!(
        levels(&run(&["stock", "get", "laptop"])),
        vec!["laptop: 7/0"]
    );
    let new = run(&["stock", "set", "brand-new", "3"]);
    assert_eq!(levels(&new), vec!["brand-new: 3/0"]);
    assert_eq!(
        run(&["stock", "list"])["items"].as_array().unwrap().len(),
        seeded().len() + 1
    );

    // The text form is a table for people.
    let text = ok_text(&[&["stock", "get", "laptop"][..], target].concat(), env);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(": 1 SKU"), "{text}");
    assert!(lines[1].starts_with("SKU") && lines[1].contains("AVAILABLE  RESERVED  UPDATED"));
    assert!(
        lines[2].starts_with("laptop") && lines[2].contains(" 7 "),
        "{text}"
    );

    // An unknown SKU, a bad file: exit status 1 and a reason.
    let out = admin(
        &[&["stock", "get", "no-such-sku"][..], target].concat(),
        env,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no stock record for SKU no-such-sku"));
    let bad = std::env::temp_dir().join(format!("bad-stock-{}.json", uuid_ish()));
    std::fs::write(
        &bad,
        r#"{"items":[{"sku":"a","quantity":1},{"sku":"a","quantity":2}]}"#,
    )
    .unwrap();
    let out = admin(
        &[&["stock", "import", bad.to_str().unwrap()][..], target].concat(),
        env,
    );
    let _ = std::fs::remove_file(&bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SKU a is listed twice"));
    // Nothing of the refused file was written.
    assert!(
        admin(&[&["stock", "get", "a"][..], target].concat(), env)
            .status
            .code()
            == Some(1)
    );
}

#[tokio::test]
async fn local_import_list_get_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.db");
    let store = SqliteStore::open(&db).unwrap();
    exercise(&["--db", db.to_str().unwrap()], &[]);

    // Set keeps what orders hold: reserve 2 for a PROCESSING order (the
    // saga's fence reserves for nothing else), set 10, still 2 reserved.
    let now = chrono::Utc::now();
    let order = orders_test_support::orders::id_at(now);
    let processing = orders_test_support::orders::order(order, now, OrderStatus::Processing);
    store.create_order(&processing, None).await.unwrap();
    let lines = [ReservationLine {
        sku: "mouse".into(),
        quantity: 2,
    }];
    let reserved = store.reserve(order, &lines, now).await.unwrap();
    assert!(
        matches!(reserved, ReserveOutcome::Reserved(_)),
        "{reserved:?}"
    );
    let db_arg = db.to_str().unwrap();
    let set = ok_json(
        &["stock", "set", "mouse", "10", "--db", db_arg, "--json"],
        &[],
    );
    assert_eq!(levels(&set), vec!["mouse: 10/2"]);
    assert_eq!(
        store.get_stock("mouse").await.unwrap().unwrap().available,
        10
    );
    // The file is also what ORDERS_DB names.
    let listed = ok_json(&["stock", "list", "--json"], &[("ORDERS_DB", db_arg)]);
    assert_eq!(listed["store"], db_arg);
    assert_eq!(listed["backend"], "local");
}

#[test]
fn local_refusals() {
    let out = admin(&["stock", "list", "--db", "/nonexistent/orders.db"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no local store at /nonexistent/orders.db")
    );
    // Usage errors are clap's: status 2.
    assert_eq!(
        admin(&["stock", "set", "laptop", "-1"], &[]).status.code(),
        Some(2)
    );
    assert_eq!(
        admin(&["stock", "set", "laptop"], &[]).status.code(),
        Some(2)
    );
}

#[tokio::test]
async fn aws_import_list_get_set_on_moto() {
    let Some(endpoint) = moto("aws_import_list_get_set_on_moto") else {
        return;
    };
    let client = orders_dynamodb::client(
        &orders_dynamodb::AwsEnv::new("us-east-1", "testing", "testing").with_endpoint(&endpoint),
    );
    let table = format!("admin-stock-{}-{}", std::process::id(), uuid_ish());
    orders_dynamodb::create_table(&client, &table)
        .await
        .unwrap();
    let env = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
    ];
    exercise(&["--table", &table], &env);
    let store = orders_dynamodb::DynamoStore::new(client, &table);
    assert_eq!(
        store.get_stock("laptop").await.unwrap().unwrap().available,
        7
    );
    let listed = ok_json(&["stock", "list", "--table", &table, "--json"], &env);
    assert_eq!(listed["backend"], "aws");
    assert_eq!(listed["store"], table.as_str());
}
