//! The local stand-in for Step Functions: an Amazon States Language
//! executor that runs a state machine's document as it is (the local host
//! gives it `contracts/workflows/order-saga.asl.json`, `orders-local`),
//! durable in the embedded store's SQLite file.
//!
//! - [`Definition`] parses the document (after `DefinitionSubstitutions`)
//!   into typed states: Task, Choice, Pass, Succeed, Fail; InputPath,
//!   Parameters, ResultSelector, ResultPath, OutputPath, Result; Retry and
//!   Catch; TimeoutSeconds. Anything else (Map, Parallel, Wait, intrinsic
//!   functions, JSONata, the context object, unknown fields, a Next to a
//!   missing state, an unreachable state) is refused there, naming the
//!   state and field, so the file cannot drift past the executor.
//! - [`Executor`] starts executions (names unique, like Standard
//!   workflows), drives them with bounded concurrency, resumes every
//!   unfinished one when its runner starts, and records each execution and
//!   its history in the store's file (`sfn_executions`, `sfn_history`). The
//!   durability rules are on [`executor`].
//! - Tasks run through a [`TaskInvoker`] (the local host's calls the
//!   Lambda crates' handlers). `arn:aws:states:::lambda:invoke` tasks get
//!   `{"Payload": <output>, "StatusCode": 200}` as on AWS.
//! - Errors are named as Step Functions names them ([`error::names`]).
//! - [`faults`] produces what AWS does now and then, on demand and
//!   repeatably from a seed: a task that commits and still fails
//!   ([`FaultyInvoker`]), a second execution of one input
//!   (the local host's saga starter, `orders_local::saga_workflow`).
//!
//! `tests/asl-scenarios` runs the saga's paths through this executor and
//! through the npm `aws-local-stepfunctions` interpreter
//! (`scripts/asl-check.mjs`) and requires identical visited states and
//! outputs.

mod choice;
pub mod definition;
mod driver;
mod engine;
pub mod error;
pub mod executor;
pub mod faults;
mod fields;
mod model;
pub mod path;
mod records;
mod retry;
mod schema;
mod states;
pub mod store;
mod template;

pub use definition::{substitute, Definition};
pub use engine::EventType;
pub use error::{DefinitionError, ExecutorError, TaskError};
pub use executor::{Executor, ExecutorOptions, ListFilter, TaskContext, TaskInvoker};
pub use faults::{FaultPoint, FaultSpecError, FaultyInvoker, TaskFault, TaskFaults};
pub use schema::MIGRATION;
pub use store::{ExecutionDetail, ExecutionStatus, ExecutionSummary, HistoryEvent};
