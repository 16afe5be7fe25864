//! Documents checked against the JSON Schemas of `contracts/` where they
//! enter: `POST /orders` bodies, parsed into the domain's
//! [`CreateOrderRequest`] (create-order and the local host), and event
//! documents ([`events`]: process-orders, notify-customer). Kept out of
//! `orders-core` because it needs a JSON Schema engine, and because the
//! create schema's compile is a cold-start cost only create-order pays,
//! at its first request (see [`warm_up`]).
//!
//! `POST /orders` bodies:
//!
//! Every field rule is in the shared JSON Schema
//! (`contracts/schemas/create-order.schema.json`, the same file API Gateway
//! uses as its request model: the ISO 4217 list, the e-mail shape, bounds,
//! one spelling per field), so the gateway refuses what this would. The one
//! rule a schema cannot state, that a price given as a JSON number has at
//! most two decimal places, is checked here from the JSON text. Every
//! problem is reported with its field.

#![forbid(unsafe_code)]

use chrono::{DateTime, Utc};
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::{Location, LocationSegment};
use jsonschema::Validator;
use orders_core::error::{FieldError, OrdersError};
use orders_core::idempotency;
use orders_core::money;
use orders_core::payments::{minor_unit_exponent, to_minor_units};
use orders_core::ports::OrderWriter;
use orders_core::usecases::{self, CreateResponse};
use orders_core::MAX_BODY_BYTES;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::LazyLock;

mod email_shape;
#[cfg(feature = "events")]
pub mod events;

pub use orders_core::usecases::create::{CreateOrderRequest, NewItem, DEFAULT_CURRENCY};

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

/// Compiles the schema now rather than on the first request (the local
/// host, at its start).
///
/// A function does not: its first request compiles the schema (about
/// 0.6 ms since the e-mail rule is code, [`email_shape`]), neither in its
/// init nor on a thread beside it. Under a Lambda CPU share a second busy
/// thread spends the same quota at the same time, which delays the end of
/// the init and the first response (docs/benchmarks.md).
pub fn warm_up() {
    LazyLock::force(&VALIDATOR);
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

/// `POST /orders` from its raw body: the create use case on the request
/// this body validates to. A bad `Idempotency-Key` is reported before a bad
/// body, as the use case alone would.
pub async fn create_order<W: OrderWriter + ?Sized>(
    store: &W,
    body: &[u8],
    idempotency_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CreateResponse, OrdersError> {
    if let Some(key) = idempotency_key {
        idempotency::validate_key(key)?;
    }
    let request = validate_create_order(body)?;
    usecases::create_order(store, request, idempotency_key, now).await
}

/// Validates a `POST /orders` body. Nothing is written on any error.
pub fn validate_create_order(body: &[u8]) -> Result<CreateOrderRequest, OrdersError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(OrdersError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
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
            Ok(price) if to_minor_units(price, &currency).is_none() => {
                details.push(FieldError::new(
                    format!("items[{i}].price"),
                    format!(
                        "{currency} has {} decimal places",
                        minor_unit_exponent(&currency)
                    ),
                ))
            }
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
mod tests;
