use super::*;
use proptest::prelude::*;
use serde_json::json;

fn check(v: Value) -> Result<CreateOrderRequest, OrdersError> {
    validate_create_order(v.to_string().as_bytes())
}

fn fields(r: Result<CreateOrderRequest, OrdersError>) -> Vec<String> {
    match r {
        Err(OrdersError::Validation(d)) => d.into_iter().map(|f| f.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn ok_body() -> Value {
    json!({"customerId": "c-1", "items": [{"sku": "laptop", "quantity": 1, "price": 999.99}]})
}

#[test]
fn the_schema_lists_active_iso_4217_codes_sorted() {
    let schema: Value = serde_json::from_str(CREATE_ORDER_SCHEMA).unwrap();
    let codes: Vec<&str> = schema["properties"]["currency"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(codes.len() > 150, "{} codes", codes.len());
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
    assert!(codes
        .iter()
        .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
    for c in ["USD", "EUR", "JPY", DEFAULT_CURRENCY] {
        assert!(codes.contains(&c), "{c}");
    }
    // Withdrawn codes are not accepted.
    for c in ["HRK", "SLL", "ZWL", "DEM"] {
        assert!(!codes.contains(&c), "{c}");
    }
}

#[test]
fn email_rules_are_the_schema_pattern() {
    let body = |email: &str| json!({"customerId": "a", "customerEmail": email, "items": [{"sku": "a", "quantity": 1, "price": 1}]});
    for ok in ["ada@example.com", "a@b.c", "a-b.c+d@mail-1.example.org"] {
        assert!(check(body(ok)).is_ok(), "{ok}");
    }
    let long_label = format!("a@{}.com", "b".repeat(64));
    let long_local = format!("{}@b.com", "a".repeat(65));
    for bad in [
        "x@y",
        "a@-b.com",
        "a@b-.com",
        "a@b..com",
        "a b@c.com",
        "a@@b.com",
        "@b.com",
        "a@.b.com",
        "a@b.com.",
        "a\u{1}@b.com",
        &long_label,
        &long_local,
    ] {
        assert_eq!(fields(check(body(bad))), ["customerEmail"], "{bad}");
        assert!(
            !schema_problems(&body(bad)).is_empty(),
            "the gateway refuses {bad} too"
        );
    }
}

#[test]
fn accepts_the_seed_example_with_aliases_and_prices_exact() {
    let r = check(json!({
        "customerId": "cust_123", "customerName": "Ada", "customerEmail": "ada@example.com",
        "items": [
            {"productId": "laptop", "qty": 1, "price": 999.99},
            {"sku": "mouse", "quantity": 2, "price": "29.99"}
        ]
    }))
    .unwrap();
    assert_eq!(r.currency, "USD");
    assert_eq!(r.items[0].sku, "laptop");
    assert_eq!(r.total().to_string(), "1059.97");
}

#[test]
fn malformed_json_is_its_own_error() {
    assert!(matches!(
        validate_create_order(b"{\"customerId\": "),
        Err(OrdersError::MalformedJson(_))
    ));
    assert!(matches!(
        validate_create_order(b""),
        Err(OrdersError::Validation(_))
    ));
}

#[test]
fn too_large_is_413() {
    let body = vec![b' '; crate::MAX_BODY_BYTES + 1];
    assert!(matches!(
        validate_create_order(&body),
        Err(OrdersError::PayloadTooLarge { .. })
    ));
}

#[test]
fn each_bad_field_is_named() {
    assert_eq!(
        fields(check(
            json!({"items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["customerId"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a b", "items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["customerId"]
    );
    assert_eq!(
        fields(check(json!({"customerId": "a", "items": []}))),
        ["items"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "extra": 1, "items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["extra"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": 0, "price": 1}]})
        )),
        ["items[0].quantity"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": -1, "price": 1}]})
        )),
        ["items[0].quantity"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": 1.5, "price": 1}]})
        )),
        ["items[0].quantity"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": 1001, "price": 1}]})
        )),
        ["items[0].quantity"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": "1", "price": 1}]})
        )),
        ["items[0].quantity"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": 1, "price": -1}]})
        )),
        ["items[0].price"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": 1, "price": "1.234"}]})
        )),
        ["items[0].price"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "quantity": 1}]})
        )),
        ["items[0].price"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"quantity": 1, "price": 1}]})
        )),
        ["items[0].sku"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "productId": "b", "quantity": 1, "price": 1}]})
        )),
        ["items[0].sku"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "a", "qty": 1, "quantity": 1, "price": 1}]})
        )),
        ["items[0].quantity"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "currency": "usd", "items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["currency"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "currency": "XYZ", "items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["currency"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "customerEmail": "nope", "items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["customerEmail"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "customerName": "x".repeat(201), "items": [{"sku": "a", "quantity": 1, "price": 1}]})
        )),
        ["customerName"]
    );
    assert_eq!(
        fields(check(
            json!({"customerId": "a", "items": [{"sku": "", "quantity": 1, "price": 1}]})
        )),
        ["items[0].sku"]
    );
    assert_eq!(fields(check(json!([1, 2]))), ["body"]);
}

#[test]
fn a_float_price_with_three_places_is_refused_from_its_text() {
    let body = br#"{"customerId":"a","items":[{"sku":"a","quantity":1,"price":10.005}]}"#;
    assert_eq!(fields(validate_create_order(body)), ["items[0].price"]);
}

#[test]
fn more_than_98_items_is_refused() {
    // 98 lines at most: a reservation is one DynamoDB transaction (100
    // actions: one per SKU, the reservation itself, and the check of the
    // order's saga fence).
    let items: Vec<Value> = (0..99)
        .map(|i| json!({"sku": format!("s{i}"), "quantity": 1, "price": 1}))
        .collect();
    assert_eq!(
        fields(check(json!({"customerId": "a", "items": items}))),
        ["items"]
    );
}

#[test]
fn several_problems_are_all_reported() {
    let f = fields(check(
        json!({"customerId": "", "bogus": true, "items": [{"sku": "a", "quantity": 0, "price": 1}]}),
    ));
    assert_eq!(f, ["bogus", "customerId", "items[0].quantity"]);
}

#[test]
fn errors_do_not_echo_customer_values() {
    let r = check(
        json!({"customerId": "a", "customerEmail": "secret-person at mail", "items": [{"sku": "a", "quantity": 1, "price": 1}]}),
    );
    let OrdersError::Validation(d) = r.unwrap_err() else {
        panic!()
    };
    assert!(d.iter().all(|f| !f.problem.contains("secret-person")));
}

#[test]
fn fingerprint_ignores_spelling_but_not_meaning() {
    let a = check(json!({"customerId": "a", "items": [{"productId": "x", "qty": 2, "price": 10}]}))
        .unwrap();
    let b = validate_create_order(
        br#"{"items":[{"price":"10.00","quantity":2,"sku":"x"}],"customerId":"a"}"#,
    )
    .unwrap();
    let c = check(json!({"customerId": "a", "items": [{"sku": "x", "quantity": 3, "price": 10}]}))
        .unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
}

proptest! {
    #[test]
    fn total_is_the_exact_sum(lines in proptest::collection::vec((1u32..=1000, 0i64..100_000_000), 1..=98)) {
        let items: Vec<Value> = lines.iter().enumerate().map(|(i, (q, cents))| {
            json!({"sku": format!("sku-{i}"), "quantity": q, "price": format!("{}.{:02}", cents / 100, cents % 100)})
        }).collect();
        let r = check(json!({"customerId": "c", "items": items})).unwrap();
        let expected_cents: i128 = lines.iter().map(|(q, c)| i128::from(*q) * i128::from(*c)).sum();
        let total = r.total();
        prop_assert_eq!(total.scale(), 2);
        prop_assert_eq!(total.mantissa(), expected_cents);
    }

    #[test]
    fn arbitrary_json_never_panics(s in "\\PC{0,200}") {
        let _ = validate_create_order(s.as_bytes());
    }

    #[test]
    fn valid_customer_ids_pass_and_others_fail(id in "[A-Za-z0-9_-]{1,64}", bad in "[^A-Za-z0-9_-]{1,8}") {
        let good = json!({"customerId": id, "items": [{"sku": "a", "quantity": 1, "price": 1}]});
        prop_assert!(check(good).is_ok());
        let wrong = json!({"customerId": format!("{id}{bad}"), "items": [{"sku": "a", "quantity": 1, "price": 1}]});
        prop_assert!(check(wrong).is_err());
    }
}

#[test]
fn ok_body_is_ok() {
    assert!(check(ok_body()).is_ok());
}

mod generated;
