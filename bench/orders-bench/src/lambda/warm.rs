//! The invocation run: one more cold start, then every case on that warm
//! instance, each response checked as an API Gateway proxy response; peak
//! RSS right after init and after the invocations.

use std::time::Duration;

use serde_json::Value;

use super::cases::Case;
use super::results::{FunctionResult, InvocationResult};
use super::runner::{stop, Runner};
use crate::emulator::{Emulator, Outcome};
use crate::procfs::vm_hwm_kb;
use crate::proxy_response::check_proxy_response;

/// How long one invocation may take.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of an unexpected response a problem quotes.
const QUOTED_RESPONSE_CHARS: usize = 300;

/// Serves `cases` on one instance into `fr.invocations`; the ids of orders
/// created go to `created_ids`.
pub async fn serve(
    runner: &Runner,
    cases: Vec<Case>,
    fr: &mut FunctionResult,
    created_ids: &mut Vec<String>,
) {
    match runner.cold_start().await {
        Ok((_, mut child, emu)) => {
            fr.rss_after_init_kb = child.id().and_then(vm_hwm_kb);
            for case in cases {
                let r = invoke(&emu, case).await;
                created_ids.extend(r.order_id.clone());
                fr.invocations.push(r);
            }
            fr.rss_peak_kb = child.id().and_then(vm_hwm_kb);
            stop(&mut child).await;
        }
        Err(e) => fr.init_failures.push(format!("invocation run: {e}")),
    }
}

async fn invoke(emu: &Emulator, case: Case) -> InvocationResult {
    let mut result = InvocationResult {
        label: case.label.clone(),
        expected: case.expect.describe(),
        status: 0,
        ms: 0.0,
        ok: false,
        problems: Vec::new(),
        order_id: None,
    };
    match emu.invoke(case.event, INVOKE_TIMEOUT).await {
        Ok((Outcome::Response(raw), took)) => {
            result.ms = took.as_secs_f64() * 1e3;
            let checked = check_proxy_response(&raw);
            result.status = checked.status;
            result.problems = checked.problems;
            if !case.expect.matches(checked.status) {
                result.problems.push(format!(
                    "expected {}, got {}: {}",
                    case.expect.describe(),
                    checked.status,
                    String::from_utf8_lossy(&raw)
                        .chars()
                        .take(QUOTED_RESPONSE_CHARS)
                        .collect::<String>()
                ));
            }
            result.ok = result.problems.is_empty();
            if result.ok && checked.status == 201 {
                result.order_id = checked
                    .body
                    .as_ref()
                    .and_then(|b| b.get("orderId"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
            }
        }
        Ok((Outcome::Error { error_type, body }, took)) => {
            result.ms = took.as_secs_f64() * 1e3;
            result.problems.push(format!(
                "function error {error_type}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        Err(e) => result.problems.push(e.to_string()),
    }
    result
}

#[cfg(test)]
mod tests {
    use http::Method;
    use serde_json::json;

    use super::*;
    use crate::http_client;
    use crate::lambda::cases::Expect;

    /// Plays the function's side of the Runtime API once: takes the next
    /// event and posts `reply` as its response.
    async fn runtime_replies(emu: &Emulator, reply: Value) {
        let addr = emu.addr;
        tokio::spawn(async move {
            let next = http_client::send(
                addr,
                Method::GET,
                "/2018-06-01/runtime/invocation/next",
                &[],
                Vec::new(),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
            let id = next.headers["lambda-runtime-aws-request-id"]
                .to_str()
                .unwrap()
                .to_string();
            http_client::send(
                addr,
                Method::POST,
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                &[],
                reply.to_string().into_bytes(),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        });
    }

    fn created(order_id: &str) -> Value {
        json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json"},
            "body": json!({"orderId": order_id}).to_string(),
            "isBase64Encoded": false
        })
    }

    fn case(expect: Expect) -> Case {
        Case {
            label: "create #1".into(),
            event: json!({"httpMethod": "POST"}),
            expect,
        }
    }

    #[tokio::test]
    async fn an_expected_create_records_its_order() {
        let (emu, _init) = Emulator::start("create-order").await.unwrap();
        runtime_replies(&emu, created("o-1")).await;
        let r = invoke(&emu, case(Expect::Exact(201))).await;
        assert!(r.ok, "{:?}", r.problems);
        assert_eq!(r.status, 201);
        assert_eq!(r.expected, "201");
        assert_eq!(r.order_id.as_deref(), Some("o-1"));
        assert!(r.ms > 0.0);
    }

    #[tokio::test]
    async fn an_unexpected_status_is_a_problem_quoting_the_response() {
        let (emu, _init) = Emulator::start("create-order").await.unwrap();
        runtime_replies(&emu, created("o-2")).await;
        let r = invoke(&emu, case(Expect::Class(5))).await;
        assert!(!r.ok);
        assert_eq!(r.order_id, None);
        assert_eq!(r.problems.len(), 1);
        assert!(
            r.problems[0].starts_with("expected 5xx, got 201: {\""),
            "{}",
            r.problems[0]
        );
    }
}
