//! The key builders against `contracts/table-keys.json`, the file the CDK app
//! reads for the functions' `dynamodb:LeadingKeys` conditions: a key format
//! changed here without the contract (or the other way round) would let IAM
//! refuse, or allow, the wrong items.

use crate::item::{self, Item};
use crate::list::{BY_CREATED_AT_INDEX, BY_STATUS_INDEX};
use crate::payments::{attempt_key, payment_key};
use crate::stock::{reservation_key, stock_key};
use aws_sdk_dynamodb::types::AttributeValue;
use orders_core::model::{OrderStatus, STATUS_SHARDS};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

const CONTRACT: &str = include_str!("../../../contracts/table-keys.json");

fn contract() -> Value {
    serde_json::from_str(CONTRACT).expect("contracts/table-keys.json is JSON")
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("contracts/table-keys.json has no string at {pointer}"))
}

fn attr<'a>(key: &'a Item, name: &str) -> &'a str {
    match key.get(name) {
        Some(AttributeValue::S(s)) => s,
        other => panic!("key attribute {name} is {other:?}, not a string"),
    }
}

/// Every key the adapters build, by the contract's item type, with the part
/// after the prefix that the builder was given.
fn built_keys() -> Vec<(&'static str, Item, String)> {
    let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
    let mut keys = vec![
        ("order", item::order_key(id), id.to_string()),
        ("idempotency", item::record_key("k-1"), "k-1".to_string()),
        ("payment", payment_key(id), id.to_string()),
        (
            "paymentAttempt",
            attempt_key("charge-1"),
            "charge-1".to_string(),
        ),
        ("stock", stock_key("SKU-1"), "SKU-1".to_string()),
        ("reservation", reservation_key(id), id.to_string()),
    ];
    for status in OrderStatus::ALL {
        keys.push((
            "notification",
            item::notification_key(id, status),
            format!("{id}#{}", status.as_str()),
        ));
    }
    keys
}

#[test]
fn every_key_builder_uses_its_contract_prefix_and_sort_key() {
    let c = contract();
    assert_eq!(text(&c, "/table/partitionKey"), "pk");
    assert_eq!(text(&c, "/table/sortKey"), "sk");
    for (kind, key, rest) in built_keys() {
        let prefix = text(&c, &format!("/table/items/{kind}/prefix"));
        let sort_key = text(&c, &format!("/table/items/{kind}/sortKey"));
        assert_eq!(key.len(), 2, "{kind}: a key is pk and sk");
        assert_eq!(attr(&key, "pk"), format!("{prefix}{rest}"), "{kind}: pk");
        assert_eq!(attr(&key, "sk"), sort_key, "{kind}: sk");
    }
}

#[test]
fn the_contract_lists_exactly_the_item_types_the_builders_make() {
    let c = contract();
    let listed: BTreeSet<&str> = c
        .pointer("/table/items")
        .and_then(Value::as_object)
        .expect("table.items")
        .keys()
        .map(String::as_str)
        .collect();
    let built: BTreeSet<&str> = built_keys().into_iter().map(|(kind, _, _)| kind).collect();
    assert_eq!(listed, built);
}

#[test]
fn index_partitions_use_their_contract_prefix() {
    let c = contract();
    let status_prefix = text(&c, &format!("/indexes/{BY_STATUS_INDEX}/prefix"));
    let all_prefix = text(&c, &format!("/indexes/{BY_CREATED_AT_INDEX}/prefix"));
    assert_eq!(
        text(&c, &format!("/indexes/{BY_STATUS_INDEX}/partitionKey")),
        "gsi1pk"
    );
    assert_eq!(
        text(&c, &format!("/indexes/{BY_CREATED_AT_INDEX}/partitionKey")),
        "gsi2pk"
    );
    let indexes = c
        .pointer("/indexes")
        .and_then(Value::as_object)
        .expect("indexes");
    assert_eq!(indexes.len(), 2);
    for shard in 0..STATUS_SHARDS {
        for status in OrderStatus::ALL {
            let pk = item::status_partition(status, shard);
            assert_eq!(pk, format!("{status_prefix}{}#{shard:02}", status.as_str()));
        }
        assert_eq!(
            item::all_partition(shard),
            format!("{all_prefix}{shard:02}")
        );
    }
}

/// `ForAllValues:StringLike` on `<prefix>*`: no prefix may start another
/// (`PAYMENT#` and `PAYMENT_ATTEMPT#`, `ORDER#` and `ORDERS#` do not), or a
/// grant on one item type would reach the other's keys.
#[test]
fn no_prefix_is_the_start_of_another() {
    let c = contract();
    let mut prefixes: Vec<String> = Vec::new();
    for section in ["/table/items", "/indexes"] {
        for (_, v) in c
            .pointer(section)
            .and_then(Value::as_object)
            .expect(section)
        {
            prefixes.push(text(v, "/prefix").to_string());
        }
    }
    for a in &prefixes {
        assert!(a.ends_with('#'), "{a} ends with the separator");
        assert!(!a.contains(['*', '?']), "{a} has no IAM wildcard");
        for b in &prefixes {
            assert!(a == b || !b.starts_with(a.as_str()), "{b} starts with {a}");
        }
    }
    let unique: BTreeSet<&String> = prefixes.iter().collect();
    assert_eq!(unique.len(), prefixes.len());
}
