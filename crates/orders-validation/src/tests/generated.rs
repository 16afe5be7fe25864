//! The generated request validator against jsonschema's run-time compile
//! of the contract as shipped.

use crate::{CreateOrderSchema, CREATE_ORDER_SCHEMA};
use proptest::prelude::*;
use serde_json::{json, Value};

/// jsonschema's run-time compile of the contract as shipped, e-mail regex
/// and all: the independent implementation the generated validator (built
/// from a copy with that pattern swapped for code) must agree with.
static CONTRACT: std::sync::LazyLock<jsonschema::Validator> = std::sync::LazyLock::new(|| {
    jsonschema::draft4::new(&serde_json::from_str(CREATE_ORDER_SCHEMA).unwrap())
        .expect("the contract compiles")
});

/// The instance paths the errors name, sorted and unique.
fn error_paths<'a>(errors: impl Iterator<Item = jsonschema::ValidationError<'a>>) -> Vec<String> {
    let mut paths: Vec<String> = errors.map(|e| e.instance_path().to_string()).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// A value for a field: absent (`None`), right or wrong in shape or type.
fn field_value(good: &'static [&'static str]) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(good).prop_map(|s| Some(json!(s))),
        "[ -~]{0,12}".prop_map(|s| Some(json!(s))),
        "\\PC{0,8}@\\PC{0,8}(\\.\\PC{0,4}){0,2}".prop_map(|s| Some(json!(s))),
        (-5i64..2_000_000).prop_map(|n| Some(json!(n))),
        (-1.0f64..1_200_000.0).prop_map(|n| Some(json!(n))),
        Just(Some(Value::Null)),
        Just(Some(json!(true))),
        Just(Some(json!([]))),
        Just(Some(json!({}))),
    ]
}

fn object(fields: Vec<(&'static str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

fn item() -> impl Strategy<Value = Value> {
    (
        field_value(&["laptop", "sku-1"]),
        field_value(&["p-9"]),
        field_value(&["1"]),
        field_value(&["2"]),
        field_value(&["999.99", "10", "0.5", "1000000", "1.234"]),
        field_value(&["extra"]),
    )
        .prop_map(|(sku, product, quantity, qty, price, extra)| {
            object(vec![
                ("sku", sku),
                ("productId", product),
                ("quantity", quantity),
                ("qty", qty),
                ("price", price),
                ("color", extra),
            ])
        })
}

fn request() -> impl Strategy<Value = Value> {
    (
        field_value(&["c-1", "C_2", "x"]),
        field_value(&["Ada"]),
        field_value(&["ada@example.com", "a@b", "a b@c.d", "a@-b.com"]),
        field_value(&["+14155550100", "+0123", "14155550100"]),
        field_value(&["USD", "EUR", "JPY", "usd", "HRK"]),
        field_value(&["tok_visa"]),
        prop_oneof![
            Just(None),
            proptest::collection::vec(item(), 0..4).prop_map(|v| Some(Value::Array(v))),
            field_value(&["[]"]),
        ],
        field_value(&["unexpected"]),
    )
        .prop_map(|(id, name, email, phone, currency, token, items, extra)| {
            object(vec![
                ("customerId", id),
                ("customerName", name),
                ("customerEmail", email),
                ("customerPhone", phone),
                ("currency", currency),
                ("paymentToken", token),
                ("items", items),
                ("note", extra),
            ])
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_generated_validator_is_the_contract(doc in request()) {
        prop_assert_eq!(CreateOrderSchema::is_valid(&doc), CONTRACT.is_valid(&doc), "{}", doc);
        prop_assert_eq!(
            error_paths(CreateOrderSchema::iter_errors(&doc)),
            error_paths(CONTRACT.iter_errors(&doc)),
            "{}", doc
        );
    }
}
