//! What is cold-started: our nine functions, the Node 22 and Python peers
//! of create-order, and the floor, each with its event and the answer it
//! must give.

use std::ffi::OsString;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::events::{self, Orders};
use crate::emulator::Outcome;
use crate::proxy_response::check_proxy_response;

/// Which side of a ratio a subject is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One of the nine Rust functions the CDK app deploys.
    Ours,
    /// create-order written the way the seeds write it, in Node or Python.
    Peer,
    /// The bare `lambda_runtime` function.
    Floor,
}

/// The answer a subject must give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// An API Gateway proxy response with one of these statuses.
    Proxy(&'static [u16]),
    /// An SQS batch response without failed messages.
    BatchOk,
    /// Any response (not a function error).
    Any,
}

pub struct Subject {
    pub name: String,
    pub kind: Kind,
    /// Reaches DynamoDB through the TLS endpoint, trusting the run's CA.
    pub tls: bool,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub event: Value,
    pub expect: Expect,
}

/// Where the binaries and the peers' installs are.
pub struct Locations {
    /// Our function binaries (file name = function name).
    pub functions: Vec<PathBuf>,
    pub floor: PathBuf,
    /// The Node 22 binary and the peer's bootstrap.mjs.
    pub node: Option<(PathBuf, PathBuf)>,
    /// The venv's python and the peer's bootstrap.py.
    pub python: Option<(PathBuf, PathBuf)>,
    /// The floor's HTTPS variant: with it, every subject also runs over
    /// TLS (a twin named with [`TLS`]), and this is the twins' floor.
    pub floor_https: Option<PathBuf>,
}

pub const NODE_PEER: &str = "node22-create-order";
pub const PYTHON_PEER: &str = "python-create-order";
pub const FLOOR: &str = "lambda-hello";
/// The floor of the subjects that run over TLS: one HTTPS request.
pub const FLOOR_HTTPS: &str = "lambda-hello-https";
/// What a subject's TLS twin adds to its name.
pub const TLS: &str = " (TLS)";

/// The name of `base`'s twin over TLS, or `base` itself.
pub fn named(base: &str, tls: bool) -> String {
    if tls {
        format!("{base}{TLS}")
    } else {
        base.to_string()
    }
}
/// Every subject, in a fixed order (the rounds rotate it): ours, the
/// peers, the floor, then with `at.floor_https` each of those over TLS
/// and the HTTPS floor.
pub fn all(at: &Locations, orders: &Orders) -> Vec<Subject> {
    let plain = over(at, orders);
    let Some(floor_https) = &at.floor_https else {
        return plain;
    };
    let mut twins: Vec<Subject> = plain
        .iter()
        .filter(|s| s.kind != Kind::Floor)
        .map(|s| Subject {
            name: named(&s.name, true),
            kind: s.kind,
            tls: true,
            program: s.program.clone(),
            args: s.args.clone(),
            event: s.event.clone(),
            expect: s.expect.clone(),
        })
        .collect();
    twins.push(Subject {
        name: FLOOR_HTTPS.into(),
        kind: Kind::Floor,
        tls: true,
        program: floor_https.clone(),
        args: Vec::new(),
        event: events::hello(),
        expect: Expect::Any,
    });
    plain.into_iter().chain(twins).collect()
}

fn over(at: &Locations, orders: &Orders) -> Vec<Subject> {
    let mut out = Vec::new();
    for path in &at.functions {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some((event, expect)) = function_event(&name, orders) {
            out.push(Subject {
                name,
                kind: Kind::Ours,
                tls: false,
                program: path.clone(),
                args: Vec::new(),
                event,
                expect,
            });
        }
    }
    for (name, install) in [(NODE_PEER, &at.node), (PYTHON_PEER, &at.python)] {
        if let Some((program, script)) = install {
            out.push(Subject {
                name: name.into(),
                kind: Kind::Peer,
                tls: false,
                program: program.clone(),
                args: vec![script.clone().into_os_string()],
                event: events::create(),
                expect: Expect::Proxy(&[201]),
            });
        }
    }
    out.push(Subject {
        name: FLOOR.into(),
        kind: Kind::Floor,
        tls: false,
        program: at.floor.clone(),
        args: Vec::new(),
        event: events::hello(),
        expect: Expect::Any,
    });
    out
}

/// The event of one of our functions, by name; `None` for a name that is
/// not one of the nine.
pub fn function_event(name: &str, orders: &Orders) -> Option<(Value, Expect)> {
    let saga = &orders.saga;
    Some(match name {
        "create-order" => (events::create(), Expect::Proxy(&[201])),
        "get-order" => (events::get(&orders.get), Expect::Proxy(&[200])),
        "list-orders" => (events::list(), Expect::Proxy(&[200])),
        "cancel-order" => (events::cancel(&orders.cancel), Expect::Proxy(&[200, 409])),
        "process-orders" => (events::sqs(&events::order_created(saga)), Expect::BatchOk),
        "notify-customer" => (events::sns(&events::completed(saga)), Expect::Any),
        "payments" => (events::task("charge", &orders.processing), Expect::Any),
        "inventory" => (events::task("reserve", &orders.processing), Expect::Any),
        "settle-order" => (events::task("complete", saga), Expect::Any),
        _ => return None,
    })
}

/// `Ok(status)` (the proxy status, `ok` otherwise) when `outcome` is what
/// `expect` asks for, else why not.
pub fn check(expect: &Expect, outcome: &Outcome) -> Result<String, String> {
    let raw = match outcome {
        Outcome::Response(raw) => raw,
        Outcome::Error { error_type, body } => {
            return Err(format!(
                "function error {error_type}: {}",
                String::from_utf8_lossy(body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ))
        }
    };
    match expect {
        Expect::Any => Ok("ok".into()),
        Expect::BatchOk => {
            let v: Value = serde_json::from_slice(raw).map_err(|e| format!("not JSON: {e}"))?;
            match v["batchItemFailures"].as_array() {
                Some(failed) if failed.is_empty() => Ok("ok".into()),
                Some(failed) => Err(format!("{} failed messages: {v}", failed.len())),
                None => Err(format!("not an SQS batch response: {v}")),
            }
        }
        Expect::Proxy(statuses) => {
            let checked = check_proxy_response(raw);
            if !checked.problems.is_empty() {
                return Err(checked.problems.join("; "));
            }
            if statuses.contains(&checked.status) {
                Ok(checked.status.to_string())
            } else {
                Err(format!(
                    "status {} (expected {statuses:?}): {}",
                    checked.status,
                    String::from_utf8_lossy(raw)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use serde_json::json;

    fn orders() -> Orders {
        Orders {
            get: "g".into(),
            cancel: "c".into(),
            saga: json!({"orderId": "s", "items": []}),
            processing: json!({"orderId": "p", "items": []}),
        }
    }

    #[test]
    fn every_deployed_function_has_an_event() {
        for name in [
            "create-order",
            "get-order",
            "list-orders",
            "cancel-order",
            "process-orders",
            "notify-customer",
            "payments",
            "inventory",
            "settle-order",
        ] {
            assert!(function_event(name, &orders()).is_some(), "{name}");
        }
        assert!(function_event("unknown", &orders()).is_none());
    }

    #[test]
    fn subjects_are_ours_then_peers_then_the_floor() {
        let at = Locations {
            functions: vec!["/r/create-order".into(), "/r/get-order".into()],
            floor: "/r/lambda-hello".into(),
            node: Some(("/n/node".into(), "/n/bootstrap.mjs".into())),
            python: None,
            floor_https: None,
        };
        let s = all(&at, &orders());
        let names: Vec<_> = s.iter().map(|s| (s.name.as_str(), s.kind)).collect();
        assert_eq!(
            names,
            [
                ("create-order", Kind::Ours),
                ("get-order", Kind::Ours),
                (NODE_PEER, Kind::Peer),
                (FLOOR, Kind::Floor)
            ]
        );
        assert_eq!(s[2].args, vec![OsString::from("/n/bootstrap.mjs")]);
        assert!(s.iter().all(|s| !s.tls));
    }

    #[test]
    fn over_tls_every_subject_has_a_twin_and_the_floor_is_the_https_one() {
        let at = Locations {
            functions: vec!["/r/create-order".into()],
            floor: "/r/lambda-hello".into(),
            node: Some(("/n/node".into(), "/n/bootstrap.mjs".into())),
            python: None,
            floor_https: Some("/r/lambda-hello-https".into()),
        };
        let s = all(&at, &orders());
        let names: Vec<_> = s.iter().map(|s| (s.name.as_str(), s.kind, s.tls)).collect();
        assert_eq!(
            names,
            [
                ("create-order", Kind::Ours, false),
                (NODE_PEER, Kind::Peer, false),
                (FLOOR, Kind::Floor, false),
                ("create-order (TLS)", Kind::Ours, true),
                ("node22-create-order (TLS)", Kind::Peer, true),
                (FLOOR_HTTPS, Kind::Floor, true),
            ]
        );
        assert_eq!(s[3].program, s[0].program);
        assert_eq!(s[4].args, s[1].args);
        assert_eq!(s[5].program, PathBuf::from("/r/lambda-hello-https"));
    }

    fn response(v: Value) -> Outcome {
        Outcome::Response(Bytes::from(v.to_string()))
    }

    #[test]
    fn checks() {
        let created = response(
            json!({"statusCode": 201, "headers": {"content-type": "application/json"}, "body": "{}", "isBase64Encoded": false}),
        );
        assert_eq!(check(&Expect::Proxy(&[201]), &created).unwrap(), "201");
        assert!(check(&Expect::Proxy(&[200, 409]), &created)
            .unwrap_err()
            .starts_with("status 201"));
        assert!(check(
            &Expect::BatchOk,
            &response(json!({"batchItemFailures": []}))
        )
        .is_ok());
        let failed = response(json!({"batchItemFailures": [{"itemIdentifier": "m"}]}));
        assert!(check(&Expect::BatchOk, &failed)
            .unwrap_err()
            .starts_with("1 failed"));
        let error = Outcome::Error {
            error_type: "TransientError".into(),
            body: Bytes::from("x"),
        };
        assert_eq!(
            check(&Expect::Any, &error).unwrap_err(),
            "function error TransientError: x"
        );
        assert!(check(&Expect::Any, &response(Value::Null)).is_ok());
    }
}
