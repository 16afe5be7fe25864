//! Validation of `POST /orders` bodies.
//!
//! Every field rule is in the shared JSON Schema
//! (`contracts/schemas/create-order.schema.json`, the same file API Gateway
//! uses as its request model: the ISO 4217 list, the e-mail shape, bounds,
//! one spelling per field), so the gateway refuses what this would. The one
//! rule a schema cannot state, that a price given as a JSON number has at
//! most two decimal places, is checked here from the JSON text. Every
//! problem is reported with its field.

use crate::email_shape;
use crate::error::{FieldError, OrdersError};
use crate::model::{Order, OrderItem, OrderStatus};
use crate::money;
use chrono::{DateTime, Utc};
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::{Location, LocationSegment};
use jsonschema::Validator;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;
use uuid::Uuid;

/// The create-order schema, as shipped in `contracts/`.
pub const CREATE_ORDER_SCHEMA: &str =
    include_str!("../../../contracts/schemas/create-order.schema.json");

/// The schema, its e-mail pattern checked by code ([`email_shape`]: the
/// same rule, without a regex that takes most of the compile).
static VALIDATOR: LazyLock<Validator> = LazyLock::new(|| {
    let mut schema: Value = serde_json::from_str(CREATE_ORDER_SCHEMA).expect("schema is JSON");
    email_shape::swap_pattern(&mut schema);
    jsonschema::draft4::options()
        .with_keyword(email_shape::KEYWORD, email_shape::keyword)
        .build(&schema)
        .expect("schema compiles")
});

/// Compiles the schema now rather than on the first request.
pub fn warm_up() {
    LazyLock::force(&VALIDATOR);
}

/// Compiles the schema on a thread of its own and returns at once, so a
/// cold start does not wait for it (about 0.6 ms cold since the e-mail
/// rule is code, [`email_shape`]; 2.5 to 4 ms with its regex): it
/// runs while the function asks the Runtime API for its first event, and
/// the first request waits for it only if it comes before the compile is
/// done (the [`LazyLock`] blocks until then). Where no thread can be made,
/// the first request compiles it.
///
/// The thread runs at the lowest priority (nice 19, Linux): on a free core
/// it runs beside the init as before; where the init shares its CPU (a
/// Lambda share below one vCPU, a busy host) it yields to the init instead
/// of lengthening it, and gets the CPU as soon as the function waits for
/// its first event, or blocks on the compile at its first validation.
pub fn warm_up_in_background() {
    let _ = std::thread::Builder::new()
        .name("schema-warm-up".into())
        .spawn(|| {
            lower_this_threads_priority();
            warm_up();
        });
}

/// Nice 19 for the calling thread only (on Linux a nice value is per
/// thread); failure leaves it at the default, which is only slower.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: setpriority reads no memory of ours; `who = 0` is the caller.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// Currency when the request names none.
pub const DEFAULT_CURRENCY: &str = "USD";

/// A create-order request that passed every rule, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    pub customer_id: String,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    /// E.164. Absent from the fingerprint when not given, so records written
    /// before the field existed still match their replays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_phone: Option<String>,
    pub currency: String,
    pub items: Vec<NewItem>,
    /// Absent from the fingerprint when not given (as `customerPhone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewItem {
    pub sku: String,
    pub quantity: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
}

impl CreateOrderRequest {
    /// The exact total: the sum of quantity × price, two places.
    pub fn total(&self) -> Decimal {
        money::to_money(
            self.items
                .iter()
                .map(|i| i.price * Decimal::from(i.quantity))
                .sum(),
        )
    }

    /// SHA-256 (hex) of the canonical request: two bodies that mean the same
    /// order (aliases, `10` vs `"10.00"`, key order) share a fingerprint.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("request serializes");
        hex(&Sha256::digest(canonical))
    }

    /// The new order, PENDING.
    pub fn into_order(self, order_id: Uuid, now: DateTime<Utc>) -> Order {
        let total = self.total();
        Order {
            order_id,
            customer_id: self.customer_id,
            customer_name: self.customer_name,
            customer_email: self.customer_email,
            customer_phone: self.customer_phone,
            items: self
                .items
                .into_iter()
                .map(|i| OrderItem {
                    line_total: money::to_money(i.price * Decimal::from(i.quantity)),
                    sku: i.sku,
                    quantity: i.quantity,
                    price: i.price,
                })
                .collect(),
            total,
            currency: self.currency,
            status: OrderStatus::Pending,
            status_reason: None,
            status_detail: None,
            payment_token: self.payment_token,
            compensation_started_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRequest<'a> {
    customer_id: String,
    #[serde(default)]
    customer_name: Option<String>,
    #[serde(default)]
    customer_email: Option<String>,
    #[serde(default)]
    customer_phone: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    payment_token: Option<String>,
    #[serde(borrow)]
    items: Vec<RawItem<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem<'a> {
    #[serde(alias = "productId")]
    sku: String,
    #[serde(alias = "qty")]
    quantity: u32,
    #[serde(borrow)]
    price: &'a RawValue,
}

/// Validates a `POST /orders` body. Nothing is written on any error.
pub fn validate_create_order(body: &[u8]) -> Result<CreateOrderRequest, OrdersError> {
    if body.len() > crate::MAX_BODY_BYTES {
        return Err(OrdersError::PayloadTooLarge {
            limit: crate::MAX_BODY_BYTES,
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(OrdersError::invalid("body", "a JSON object is required"));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| OrdersError::MalformedJson(e.to_string()))?;

    let mut details = schema_problems(&value);
    if !details.is_empty() {
        return Err(OrdersError::Validation(details));
    }

    let raw: RawRequest<'_> =
        serde_json::from_slice(body).map_err(|e| OrdersError::invalid("body", e.to_string()))?;

    let currency = raw.currency.unwrap_or_else(|| DEFAULT_CURRENCY.to_string());
    let mut items = Vec::with_capacity(raw.items.len());
    for (i, item) in raw.items.iter().enumerate() {
        match money::parse_price_json(item.price.get()) {
            Ok(price) if crate::payments::to_minor_units(price, &currency).is_none() => details
                .push(FieldError::new(
                    format!("items[{i}].price"),
                    format!(
                        "{currency} has {} decimal places",
                        crate::payments::minor_unit_exponent(&currency)
                    ),
                )),
            Ok(price) => items.push(NewItem {
                sku: item.sku.clone(),
                quantity: item.quantity,
                price,
            }),
            Err(e) => details.push(FieldError::new(format!("items[{i}].price"), e.to_string())),
        }
    }
    if !details.is_empty() {
        return Err(OrdersError::Validation(details));
    }
    Ok(CreateOrderRequest {
        customer_id: raw.customer_id,
        customer_name: raw.customer_name,
        customer_email: raw.customer_email,
        customer_phone: raw.customer_phone,
        currency,
        items,
        payment_token: raw.payment_token,
    })
}

/// Every schema violation of `value`, as field errors, sorted and unique.
pub fn schema_problems(value: &Value) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = VALIDATOR
        .iter_errors(value)
        .flat_map(|e| describe(&e))
        .collect();
    out.sort_by(|a, b| (&a.field, &a.problem).cmp(&(&b.field, &b.problem)));
    out.dedup();
    // One entry per field: a field that breaks two rules says both.
    let mut merged: Vec<FieldError> = Vec::with_capacity(out.len());
    for e in out {
        match merged.last_mut() {
            Some(last) if last.field == e.field => {
                last.problem.push_str("; ");
                last.problem.push_str(&e.problem);
            }
            _ => merged.push(e),
        }
    }
    merged
}

fn describe(e: &jsonschema::ValidationError<'_>) -> Vec<FieldError> {
    let at = field_path(e.instance_path());
    let child = |name: &str| {
        if at.is_empty() {
            name.to_string()
        } else {
            format!("{at}.{name}")
        }
    };
    let here = if at.is_empty() {
        "body".to_string()
    } else {
        at.clone()
    };
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|f| FieldError::new(child(f), "is not an allowed field"))
            .collect(),
        ValidationErrorKind::Required { property } => {
            vec![FieldError::new(
                child(property.as_str().unwrap_or_default()),
                "is required",
            )]
        }
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => {
            let (a, b) = if e.schema_path().as_str().contains("allOf/1") {
                ("quantity", "qty")
            } else {
                ("sku", "productId")
            };
            let problem = if matches!(e.kind(), ValidationErrorKind::OneOfNotValid { .. }) {
                format!("is required (or its alias {b})")
            } else {
                format!("give either {a} or its alias {b}, not both")
            };
            vec![FieldError::new(child(a), problem)]
        }
        ValidationErrorKind::Type { .. } => {
            vec![FieldError::new(here, format!("must be {}", type_words(e)))]
        }
        ValidationErrorKind::Pattern { .. } if at == "customerId" => vec![FieldError::new(
            here,
            "must be 1 to 64 letters, digits, '-' or '_'",
        )],
        ValidationErrorKind::Pattern { .. } | ValidationErrorKind::Custom { .. }
            if at == "customerEmail" =>
        {
            vec![FieldError::new(here, "must be a valid email address")]
        }
        ValidationErrorKind::Pattern { .. } if at == "customerPhone" => vec![FieldError::new(
            here,
            "must be an E.164 phone number such as +14155550100",
        )],
        ValidationErrorKind::Enum { .. } if at == "currency" => vec![FieldError::new(
            here,
            "must be an active ISO 4217 currency code",
        )],
        ValidationErrorKind::Pattern { .. } if at.ends_with(".price") => vec![FieldError::new(
            here,
            "must be a non-negative decimal below 1000000 with at most 2 decimal places",
        )],
        _ => vec![FieldError::new(here, masked(e))],
    }
}

fn type_words(e: &jsonschema::ValidationError<'_>) -> String {
    // "null is not of type \"string\"" -> "of type \"string\""
    let m = masked(e);
    match m.find("of type") {
        Some(i) => m[i..].to_string(),
        None => m,
    }
}

/// The validator's message without echoing the client's value.
fn masked(e: &jsonschema::ValidationError<'_>) -> String {
    let text = e.masked().to_string();
    text.trim_start_matches("value ").to_string()
}

/// `/items/0/price` -> `items[0].price`.
fn field_path(loc: &Location) -> String {
    let mut out = String::new();
    for seg in loc.iter() {
        match seg {
            LocationSegment::Property(p) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&p);
            }
            LocationSegment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
        let a =
            check(json!({"customerId": "a", "items": [{"productId": "x", "qty": 2, "price": 10}]}))
                .unwrap();
        let b = validate_create_order(
            br#"{"items":[{"price":"10.00","quantity":2,"sku":"x"}],"customerId":"a"}"#,
        )
        .unwrap();
        let c =
            check(json!({"customerId": "a", "items": [{"sku": "x", "quantity": 3, "price": 10}]}))
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
}
