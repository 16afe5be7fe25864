//! The saga under the failures AWS really produces, randomized and seeded:
//! for each seed, orders of every payment path on the local host, with
//! every saga task failing now and then before and after its commit
//! (`Sandbox.Timedout`, `Lambda.Unknown`, `Lambda.ServiceException`),
//! duplicate executions of an order (Express's at-least-once) and
//! `OrderCreated` redelivered. Once nothing runs, an order whose
//! compensation kept failing gets what an operator gives it (the saga
//! started again), then every invariant of docs/saga.md is checked.
//!
//! A failure names its seed; replay it with
//! `ORDERS_FAULT_SEEDS=<seed> cargo test -p orders-e2e-tests --test saga_faults`
//! (`ORDERS_FAULT_ORDERS` sets the orders per seed). Fault decisions are a
//! function of the seed and of (order id, state, attempt); order ids are
//! new each run, so a replay draws the same faults for the same kind of
//! run, and the failure's message carries the execution histories.

use orders_e2e_tests::client::Client;
use orders_e2e_tests::process::{load_and_kill, spawn_host};
use orders_e2e_tests::saga::{
    assert_invariants_under, executions, mixed_order, rerun_sagas, stock_up,
    wait_for_orders_needing_an_operator, wait_until_settled, Conditions,
};
use orders_e2e_tests::Host;
use orders_local::pipeline::{Faults, PipelineConfig};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Every task, both sides of its commit, errors Step Functions retries.
const SAGA_FAULTS: &str = "*:before-commit:Lambda.Unknown:0.08,\
                           *:after-commit:Sandbox.Timedout:0.1,\
                           *:after-commit:Lambda.ServiceException:0.04";

fn env_list(name: &str, default: &[u64]) -> Vec<u64> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|s| s.trim().parse().expect("a comma-separated list of numbers"))
            .collect(),
        _ => default.to_vec(),
    }
}

fn faults(seed: u64) -> Faults {
    Faults {
        saga: SAGA_FAULTS.parse().expect("the fault spec parses"),
        duplicates: 0.3,
        redeliver: 0.3,
        seed,
    }
}

fn pipeline(faults: Faults) -> PipelineConfig {
    PipelineConfig {
        visibility_timeout: Duration::from_secs(5),
        retry_wait_scale: 0.001,
        faults,
        ..PipelineConfig::default()
    }
}

/// One seed's run; the outcomes and how many orders needed an operator.
async fn run(seed: u64, orders: usize) -> (BTreeMap<String, usize>, usize) {
    let host = Host::start().await;
    let initial = stock_up(&orders_local::open_store(host.db()).unwrap()).await;
    let host = host.restart_with(Some(pipeline(faults(seed)))).await;
    let c = Client::of(&host);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            for i in (w..orders).step_by(8) {
                c.create_body(&mixed_order(i)).await.expect("201");
                n += 1;
            }
            n
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += t.await.unwrap();
    }
    assert_eq!(created, orders);

    let stuck = wait_for_orders_needing_an_operator(&c, Duration::from_secs(300))
        .await
        .unwrap_or_else(|| panic!("seed {seed}: timed out waiting for every saga to end"));
    // The operator's re-run, on a host without faults.
    let host = if stuck.is_empty() {
        host
    } else {
        let again = stuck.clone();
        host.restart_around(Some(pipeline(Faults::default())), |db| async move {
            rerun_sagas(&db, &again).await
        })
        .await
    };
    let c = Client::of(&host);
    let what = format!("seed {seed}: every order to settle and be notified");
    wait_until_settled(&c, &what, Duration::from_secs(120)).await;
    let outcomes = assert_invariants_under(&c, &initial, Conditions { faults: true }).await;
    // A duplicate execution is inspected by its name, like the first.
    let dup = executions(&c)
        .await
        .into_iter()
        .find_map(|e| {
            e["name"]
                .as_str()
                .filter(|n| n.ends_with("~dup"))
                .map(String::from)
        })
        .expect("a duplicate execution");
    let detail = c.local(&format!("/local/executions/{dup}")).await;
    assert_eq!(detail["name"], dup.as_str(), "{detail}");
    let q = c.queues().await;
    assert_eq!(q["outbox"], 0, "seed {seed}: {q}");
    for name in ["order-events", "order-notifications"] {
        assert_eq!(q["queues"][name]["deadLetters"], 0, "seed {seed}: {q}");
    }
    host.server.stop().await.unwrap();
    (outcomes, stuck.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn money_and_stock_stay_right_under_faults_duplicates_and_redeliveries() {
    let seeds = env_list("ORDERS_FAULT_SEEDS", &[1, 2, 3, 4]);
    let orders = env_list("ORDERS_FAULT_ORDERS", &[1000])[0] as usize;
    let mut total: BTreeMap<String, usize> = BTreeMap::new();
    let mut operator = 0;
    for seed in seeds {
        println!(
            "seed {seed}: {orders} orders, faults {SAGA_FAULTS}, duplicates 0.3, redeliver 0.3"
        );
        let outcome = tokio::spawn(run(seed, orders)).await;
        let (outcomes, stuck) = match outcome {
            Ok(r) => r,
            Err(e) => panic!(
                "seed {seed} failed; replay with ORDERS_FAULT_SEEDS={seed} \
                 cargo test -p orders-e2e-tests --test saga_faults: {e}"
            ),
        };
        println!("seed {seed}: outcomes {outcomes:?}, {stuck} needed an operator's re-run");
        for (k, v) in outcomes {
            *total.entry(k).or_default() += v;
        }
        operator += stuck;
    }
    println!("all seeds: {total:?}, {operator} operator re-runs");
    // Every path was taken, faults or not.
    for path in orders_load::mix::PATHS {
        assert!(
            total.get(path).copied().unwrap_or(0) > 0,
            "no order took {path}: {total:?}"
        );
    }
}

/// The binary, as a user runs it with the fault flags, killed with SIGKILL
/// twice under load: what the crashes and the faults leave is settled by
/// the restarts and an operator's re-run, and every invariant holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_host_run_with_fault_flags_and_killed_twice_keeps_every_invariant() {
    let seed = env_list("ORDERS_FAULT_SEEDS", &[7])[0].to_string();
    let flags = [
        "--saga-faults",
        SAGA_FAULTS,
        "--saga-duplicates",
        "0.3",
        "--redeliver",
        "0.3",
        "--fault-seed",
        &seed,
    ];
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.db");
    let initial = stock_up(&orders_local::open_store(&db).unwrap()).await;
    let accepted: HashSet<String> = load_and_kill(dir.path(), 2, &flags)
        .await
        .into_iter()
        .collect();
    assert!(accepted.len() > 50, "only {} orders got in", accepted.len());

    // The third start, faults still on, runs every saga to its end.
    let mut child = spawn_host(dir.path(), 2, &flags).await;
    let c = child.client.clone();
    let Some(stuck) = wait_for_orders_needing_an_operator(&c, Duration::from_secs(180)).await
    else {
        panic!(
            "seed {seed}: timed out waiting for every saga to end; logs in {}",
            dir.keep().display()
        );
    };
    child.kill_9();
    rerun_sagas(&db, &stuck).await;

    // The operator's re-runs, on a host without faults.
    let mut child = spawn_host(dir.path(), 3, &[]).await;
    let c = child.client.clone();
    let what = format!("seed {seed}: every order to settle and be notified");
    wait_until_settled(&c, &what, Duration::from_secs(120)).await;
    let statuses = c.statuses().await;
    for id in &accepted {
        assert!(
            statuses.contains_key(id),
            "order {id} got a 201 and was lost"
        );
    }
    let outcomes = assert_invariants_under(&c, &initial, Conditions { faults: true }).await;
    println!(
        "seed {seed}: {} orders ({} acknowledged) through two kills under faults: \
         {outcomes:?}, {} needed an operator's re-run",
        statuses.len(),
        accepted.len(),
        stuck.len()
    );
    let q = c.queues().await;
    assert_eq!(q["outbox"], 0, "{q}");
    for name in ["order-events", "order-notifications"] {
        assert_eq!(q["queues"][name]["deadLetters"], 0, "{q}");
    }
    child.kill_9();
}
