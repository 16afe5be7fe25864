//! The API Gateway events each function serves on its warm instance, and
//! the status each must get: with a real store the exact success status,
//! without one any 5xx; validation failures are 4xx either way.

use serde_json::Value;

use crate::events::{self, EventSpec};

/// What status an event should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Exact(u16),
    /// Any status of this class (4 = 4xx, 5 = 5xx).
    Class(u16),
}

impl Expect {
    pub fn matches(self, status: u16) -> bool {
        match self {
            Expect::Exact(s) => s == status,
            Expect::Class(c) => status / 100 == c,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Expect::Exact(s) => s.to_string(),
            Expect::Class(c) => format!("{c}xx"),
        }
    }
}

/// One event with its label and expected status.
pub struct Case {
    pub label: String,
    pub event: Value,
    pub expect: Expect,
}

/// The cases of a function, chosen by its name (`create`, `get`, `list`);
/// get-order looks up up to three of the `created` orders.
pub fn for_function(name: &str, has_backend: bool, created: &[String]) -> Vec<Case> {
    let store = |ok: u16| {
        if has_backend {
            Expect::Exact(ok)
        } else {
            Expect::Class(5)
        }
    };
    let mut seq = 0u64;
    let mut ev = |spec: EventSpec<'_>| {
        seq += 1;
        events::rest_proxy_event(&spec, seq)
    };
    let mut cases = Vec::new();
    let mut case = |label: &str, event: Value, expect: Expect| {
        cases.push(Case {
            label: label.into(),
            event,
            expect,
        })
    };
    if name.contains("create") {
        for i in 0..3 {
            case(
                &format!("create #{}", i + 1),
                ev(post_orders(events::CREATE_BODY, &[])),
                store(201),
            );
        }
        let key: &[(&str, &str)] = &[("Idempotency-Key", "bench-idem-key-0001")];
        for label in ["create idempotent", "create idempotent replay"] {
            case(label, ev(post_orders(events::CREATE_BODY, key)), store(201));
        }
        case(
            "create invalid body",
            ev(post_orders(events::INVALID_BODY, &[])),
            Expect::Class(4),
        );
    }
    if name.contains("get") {
        let mut gets: Vec<(&str, &str, Expect)> = created
            .iter()
            .take(3)
            .map(|id| ("get existing", id.as_str(), store(200)))
            .collect();
        gets.push(("get unknown", events::UNKNOWN_ORDER_ID, store(404)));
        gets.push(("get malformed id", "not-an-id", Expect::Class(4)));
        for (label, id, expect) in gets {
            let path = format!("/orders/{id}");
            let params = [("orderId", id)];
            case(label, ev(get_order(&path, &params)), expect);
        }
    }
    if name.contains("list") {
        for (label, query) in [
            ("list status=PENDING", &[("status", "PENDING")][..]),
            (
                "list status=PENDING limit=2",
                &[("status", "PENDING"), ("limit", "2")][..],
            ),
            ("list all", &[][..]),
        ] {
            case(label, ev(list_orders(query)), store(200));
        }
        case(
            "list bad status",
            ev(list_orders(&[("status", "NOPE")])),
            Expect::Class(4),
        );
    }
    cases
}

pub(crate) fn post_orders<'a>(body: &'a str, headers: &'a [(&'a str, &'a str)]) -> EventSpec<'a> {
    EventSpec {
        method: "POST",
        resource: "/orders",
        path: "/orders",
        path_parameters: &[],
        query: &[],
        extra_headers: headers,
        body: Some(body),
    }
}

pub(crate) fn get_order<'a>(path: &'a str, params: &'a [(&'a str, &'a str)]) -> EventSpec<'a> {
    EventSpec {
        method: "GET",
        resource: "/orders/{orderId}",
        path,
        path_parameters: params,
        query: &[],
        extra_headers: &[],
        body: None,
    }
}

pub(crate) fn list_orders<'a>(query: &'a [(&'a str, &'a str)]) -> EventSpec<'a> {
    EventSpec {
        method: "GET",
        resource: "/orders",
        path: "/orders",
        path_parameters: &[],
        query,
        extra_headers: &[],
        body: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(cases: &[Case]) -> Vec<(String, String)> {
        cases
            .iter()
            .map(|c| (c.label.clone(), c.expect.describe()))
            .collect()
    }

    #[test]
    fn expectations() {
        assert!(Expect::Exact(201).matches(201));
        assert!(!Expect::Exact(201).matches(200));
        assert!(Expect::Class(5).matches(503));
        assert!(!Expect::Class(4).matches(500));
        assert_eq!(Expect::Class(4).describe(), "4xx");
        assert_eq!(Expect::Exact(404).describe(), "404");
    }

    #[test]
    fn create_cases_with_and_without_a_store() {
        let with = for_function("create-order", true, &[]);
        let labels: Vec<_> = summary(&with);
        assert_eq!(labels.len(), 6);
        assert_eq!(labels[0], ("create #1".into(), "201".into()));
        assert_eq!(labels[4], ("create idempotent replay".into(), "201".into()));
        assert_eq!(labels[5], ("create invalid body".into(), "4xx".into()));
        assert_eq!(
            with[3].event["headers"]["Idempotency-Key"],
            "bench-idem-key-0001"
        );
        assert_eq!(with[3].event["httpMethod"], "POST");
        let without = for_function("create-order", false, &[]);
        assert_eq!(summary(&without)[0].1, "5xx");
        assert_eq!(summary(&without)[5].1, "4xx");
    }

    #[test]
    fn get_cases_look_up_created_orders() {
        let created: Vec<String> = (1..=4).map(|i| format!("id-{i}")).collect();
        let cases = for_function("get-order", true, &created);
        assert_eq!(
            summary(&cases),
            [
                ("get existing", "200"),
                ("get existing", "200"),
                ("get existing", "200"),
                ("get unknown", "404"),
                ("get malformed id", "4xx"),
            ]
            .map(|(l, e)| (l.to_string(), e.to_string()))
        );
        assert_eq!(cases[2].event["pathParameters"]["orderId"], "id-3");
        assert_eq!(cases[2].event["resource"], "/orders/{orderId}");
        assert_eq!(
            cases[3].event["path"],
            format!("/orders/{}", events::UNKNOWN_ORDER_ID)
        );
    }

    #[test]
    fn list_cases_and_sequence_numbers() {
        let cases = for_function("list-orders", false, &[]);
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[1].event["queryStringParameters"]["limit"], "2");
        assert_eq!(summary(&cases)[3], ("list bad status".into(), "4xx".into()));
        let ids: std::collections::HashSet<_> = cases
            .iter()
            .map(|c| c.event["requestContext"]["requestId"].to_string())
            .collect();
        assert_eq!(ids.len(), 4, "every event has its own request id");
        assert!(for_function("notify-customer", true, &[]).is_empty());
    }
}
