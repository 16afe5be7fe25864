//! The API Gateway REST API (v1) Lambda proxy events of the benchmarks:
//! the shared builder (`orders_test_support::events::proxy`) through the
//! bench's API, stage and key, and the bodies they carry (the check of what
//! the functions post back is in [`crate::proxy_response`]).

use orders_test_support::events::proxy::{self, Gateway};
use serde_json::Value;

pub use orders_test_support::events::proxy::EventSpec;

pub const API_ID: &str = "b3nch0rd3r";
pub const STAGE: &str = "bench";
pub const API_KEY: &str = "bench-api-key-0123456789abcdef";

const GATEWAY: Gateway<'static> = Gateway {
    api_id: API_ID,
    stage: STAGE,
    api_key: API_KEY,
    user_agent: "orders-bench/0.1",
};

/// A valid `POST /orders` body (two lines, exact prices as strings).
pub const CREATE_BODY: &str = r#"{"customerId":"bench-customer-1","customerName":"Bench Customer","customerEmail":"bench@example.com","currency":"EUR","items":[{"sku":"SKU-RED-MUG","quantity":2,"price":"12.50"},{"sku":"SKU-TEA-100G","quantity":1,"price":"7.99"}]}"#;

/// A request the validation must refuse (a price with three decimals).
pub const INVALID_BODY: &str =
    r#"{"customerId":"bench-customer-1","items":[{"sku":"SKU-1","quantity":1,"price":"1.999"}]}"#;

/// A well-formed UUID v7 that no run ever creates.
pub const UNKNOWN_ORDER_ID: &str = "01900000-0000-7000-8000-00000000beef";

/// One API Gateway REST proxy event through the bench's API.
pub fn rest_proxy_event(spec: &EventSpec<'_>, seq: u64) -> Value {
    proxy::rest_proxy_event(&GATEWAY, spec, seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_through_the_bench_api() {
        let e = rest_proxy_event(
            &EventSpec {
                method: "GET",
                resource: "/orders",
                path: "/orders",
                path_parameters: &[],
                query: &[("status", "PENDING")],
                extra_headers: &[],
                body: None,
            },
            7,
        );
        assert_eq!(e["requestContext"]["path"], "/bench/orders");
        assert_eq!(e["requestContext"]["identity"]["apiKey"], API_KEY);
        assert_eq!(e["headers"]["x-api-key"], API_KEY);
        assert_eq!(e["headers"]["User-Agent"], "orders-bench/0.1");
        assert_eq!(e["requestContext"]["apiId"], API_ID);
    }
}
