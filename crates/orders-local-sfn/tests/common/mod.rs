//! Test support: a scripted invoker (answers per state, in order, and
//! records every call), an executor on a temporary store file, and waiting
//! for executions to end.
#![allow(dead_code)]

use async_trait::async_trait;
use orders_local_sfn::{
    Definition, ExecutionDetail, ExecutionStatus, Executor, ExecutorOptions, TaskContext,
    TaskError, TaskInvoker,
};
use orders_sqlite::SqliteStore;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Output(Value),
    Error(TaskError),
    /// Sleep, then answer.
    Slow(Duration, Box<Answer>),
}

impl Answer {
    /// `{"output": ...}` or `{"error": ..., "cause": ...}`.
    pub fn from_json(v: &Value) -> Self {
        match v.get("output") {
            Some(out) => Self::Output(out.clone()),
            None => Self::Error(TaskError::new(
                v["error"].as_str().expect("error"),
                v["cause"].as_str().unwrap_or_default(),
            )),
        }
    }
}

/// A call the invoker saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub execution: String,
    pub state: String,
    pub function: String,
    pub payload: Value,
    pub at: Instant,
    /// Epoch milliseconds, comparable with the history's times.
    pub at_ms: i64,
}

/// Answers each state's invocations from its script, in order; a state
/// without (more) answers fails the test's execution with `Unscripted`.
#[derive(Default)]
pub struct Scripted {
    answers: Mutex<HashMap<String, VecDeque<Answer>>>,
    pub calls: Mutex<Vec<Call>>,
}

impl Scripted {
    pub fn new(script: impl IntoIterator<Item = (&'static str, Vec<Answer>)>) -> Arc<Self> {
        let s = Self::default();
        for (state, answers) in script {
            s.push(state, answers);
        }
        Arc::new(s)
    }

    pub fn push(&self, state: &str, answers: Vec<Answer>) {
        self.answers
            .lock()
            .unwrap()
            .entry(state.to_string())
            .or_default()
            .extend(answers);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl TaskInvoker for Scripted {
    async fn invoke(&self, function: &str, _payload: Value) -> Result<Value, TaskError> {
        Err(TaskError::new(
            "Unscripted",
            format!("{function} called without a state"),
        ))
    }

    async fn invoke_task(
        &self,
        context: &TaskContext<'_>,
        function: &str,
        payload: Value,
    ) -> Result<Value, TaskError> {
        self.calls.lock().unwrap().push(Call {
            execution: context.execution.to_string(),
            state: context.state.to_string(),
            function: function.to_string(),
            payload,
            at: Instant::now(),
            at_ms: orders_sqlite::now_epoch_millis(),
        });
        let answer = self
            .answers
            .lock()
            .unwrap()
            .get_mut(context.state)
            .and_then(VecDeque::pop_front);
        let mut answer = answer.unwrap_or_else(|| {
            Answer::Error(TaskError::new(
                "Unscripted",
                format!("no answer left for {}", context.state),
            ))
        });
        loop {
            match answer {
                Answer::Output(v) => return Ok(v),
                Answer::Error(e) => return Err(e),
                Answer::Slow(d, then) => {
                    tokio::time::sleep(d).await;
                    answer = *then;
                }
            }
        }
    }
}

/// A store file in a temporary directory (kept while this lives).
pub struct TestDb {
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn open(&self) -> SqliteStore {
        SqliteStore::open_with(
            self.dir.path().join("orders.db"),
            &[orders_local_sfn::MIGRATION],
        )
        .unwrap()
    }
}

pub fn definition(doc: Value) -> Definition {
    Definition::from_value("test", &doc).unwrap()
}

pub fn options(wait_scale: f64) -> ExecutorOptions {
    ExecutorOptions {
        concurrency: 4,
        wait_scale,
    }
}

/// An executor with its runner running.
pub struct Running {
    pub executor: Executor,
    stop: watch::Sender<bool>,
    runner: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn spawn(executor: Executor) -> Self {
        let (stop, rx) = watch::channel(false);
        let e = executor.clone();
        let runner = tokio::spawn(async move { e.run(rx).await.unwrap() });
        Self {
            executor,
            stop,
            runner,
        }
    }

    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        self.runner.await.unwrap();
    }
}

pub fn executor(
    store: SqliteStore,
    def: Definition,
    invoker: Arc<dyn TaskInvoker>,
    wait_scale: f64,
) -> Executor {
    Executor::new(store, def, invoker, options(wait_scale))
}

/// Waits (up to 10 s) until `name` is no longer RUNNING.
pub async fn finished(executor: &Executor, name: &str) -> ExecutionDetail {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(d) = executor.get(name).await.unwrap() {
            if d.execution.status != ExecutionStatus::Running {
                return d;
            }
        }
        assert!(Instant::now() < deadline, "{name} did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs one execution of `doc` with `input` to its end.
pub async fn run_one(doc: Value, input: Value, invoker: Arc<dyn TaskInvoker>) -> ExecutionDetail {
    let db = TestDb::new();
    let running = Running::spawn(executor(db.open(), definition(doc), invoker, 0.001));
    running.executor.start("x", input).await.unwrap();
    let detail = finished(&running.executor, "x").await;
    running.stop().await;
    detail
}

pub fn substitutions(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}
