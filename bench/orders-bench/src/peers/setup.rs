//! What the comparison needs before its rounds: the peers' table,
//! a state machine for process-orders to start, and the orders the events
//! name (made by create-order and taken once through the saga by the
//! functions themselves, so every later event meets real records).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::cold::{runner, Conditions};
use super::events::{self, Orders};
use super::subjects::{check, Expect, Kind, Subject};
use crate::emulator::Outcome;
use crate::lambda::backend::{aws_json, create_table};
use crate::lambda::runner::stop;
use crate::Result;

/// The table the peers write to (`ORDERS_TABLE`), keyed by `orderId` as the
/// seeds' table is.
pub const PEERS_TABLE: &str = "orders-bench-peers";

/// Creates the peers' table (at `dynamodb`) and a state machine (at
/// `moto`); the state machine's ARN.
pub async fn resources(dynamodb: SocketAddr, moto: SocketAddr) -> Result<String> {
    create_table(
        dynamodb,
        &json!({
            "TableName": PEERS_TABLE,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "orderId", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "orderId", "KeyType": "HASH"}]
        }),
    )
    .await?;
    let created = aws_json(
        moto,
        "states",
        "AWSStepFunctions.CreateStateMachine",
        &json!({
            "name": format!("orders-bench-saga-{}", std::process::id()),
            "definition": r#"{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}"#,
            "roleArn": "arn:aws:iam::123456789012:role/orders-bench-saga"
        }),
    )
    .await?;
    created["stateMachineArn"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("CreateStateMachine: no ARN in {created}").into())
}

/// Creates served by one warm create-order before the rounds, by default:
/// DynamoDB Local is a JVM whose JIT compilers keep two cores busy for
/// its first few thousand requests, and the rounds should measure the
/// subjects, not that. moto needs none and gets it alike.
pub const BACKEND_WARM_UP: usize = 2000;

/// Four orders from create-order (for get, cancel, the saga and a saga in
/// progress), after `warm_up` more; the saga order moved through
/// process-orders, payments, inventory and settle-order, the one in
/// progress to PROCESSING.
pub async fn orders(functions: &[PathBuf], c: &Conditions<'_>, warm_up: usize) -> Result<Orders> {
    let find = |name: &str| functions.iter().find(|p| p.ends_with(name)).cloned();
    let create = find("create-order").ok_or("peers: create-order binary is required")?;
    let creates = vec![events::create(); 4 + warm_up];
    let made = invoke_all(&create, "create-order", &creates, &Expect::Proxy(&[201]), c).await?;
    let mut bodies = Vec::new();
    for outcome in &made {
        bodies.push(proxy_body(outcome)?);
    }
    let id = |v: &Value| v["orderId"].as_str().unwrap_or_default().to_string();
    let orders = Orders {
        get: id(&bodies[0]),
        cancel: id(&bodies[1]),
        saga: bodies[2].clone(),
        processing: bodies[3].clone(),
    };
    let saga = &orders.saga;
    let steps = [
        (
            "process-orders",
            events::sqs(&events::order_created(&orders.processing)),
            Expect::BatchOk,
        ),
        (
            "process-orders",
            events::sqs(&events::order_created(saga)),
            Expect::BatchOk,
        ),
        ("payments", events::task("charge", saga), Expect::Any),
        ("inventory", events::task("reserve", saga), Expect::Any),
        ("settle-order", events::task("complete", saga), Expect::Any),
    ];
    for (name, event, expect) in steps {
        if let Some(path) = find(name) {
            invoke_all(&path, name, &[event], &expect, c).await?;
        }
    }
    Ok(orders)
}

/// One instance of `program` serves `events` in turn, each checked.
async fn invoke_all(
    program: &Path,
    name: &str,
    events: &[Value],
    expect: &Expect,
    c: &Conditions<'_>,
) -> Result<Vec<Outcome>> {
    let subject = Subject {
        name: format!("setup-{name}"),
        kind: Kind::Ours,
        tls: false,
        program: program.to_path_buf(),
        args: Vec::new(),
        event: events[0].clone(),
        expect: expect.clone(),
    };
    let mut cold = runner(&subject, c)
        .cold_invoke(events[0].clone(), c.timeout)
        .await?;
    let mut outcomes = vec![cold.first];
    for event in &events[1..] {
        match cold.emu.invoke(event.clone(), c.timeout).await {
            Ok((outcome, _)) => outcomes.push(outcome),
            Err(e) => {
                stop(&mut cold.child).await;
                return Err(e);
            }
        }
    }
    stop(&mut cold.child).await;
    for o in &outcomes {
        check(expect, o).map_err(|e| format!("set-up {name}: {e}"))?;
    }
    Ok(outcomes)
}

/// The JSON body of a proxy response.
fn proxy_body(outcome: &Outcome) -> Result<Value> {
    let Outcome::Response(raw) = outcome else {
        return Err("set-up: create-order failed".into());
    };
    let response: Value = serde_json::from_slice(raw)?;
    Ok(serde_json::from_str(
        response["body"].as_str().unwrap_or("null"),
    )?)
}
