//! The local host: the Orders REST API on 127.0.0.1, on one SQLite file.
//!
//! It plays API Gateway's part as `contracts/gateway.json` describes it
//! (the same file the CDK app builds the deployed gateway from), then calls
//! the very handlers the Lambda functions run:
//!
//! - [`config`]: what the host needs to start, the API-key file, timeouts;
//! - `server`: the HTTP/1.1 server ([`serve`], [`Server`]): header-read and
//!   idle timeouts, head size limit, graceful stop; `wire` gives hyper's own
//!   refusals (unparseable requests) the error model;
//! - `gateway`: the gateway's checks in its order: resource, preflight,
//!   method, API key, body limit, media type, request model;
//! - `proxy`: the REST proxy event codec (request -> `ApiGatewayProxyRequest`
//!   JSON, run through lambda_http's own `Adapter` as the Lambda runtime
//!   does; proxy response -> HTTP);
//! - `routes`: the route table and which handler serves each function;
//! - `local_api`: `/health` and the local-only resources
//!   `GET /local/notifications[?orderId=]` (what the customer was sent) and
//!   `GET /local/queues` (queue depths and dead letters);
//! - `local_queues`: queue depths, dead letters and their redrive
//!   (`/local/queues[/{queue}/dead-letters|/{queue}/redrive]`);
//! - `ui`: the status page at `/` (files built in from `ui/`, a strict CSP,
//!   refused to a foreign `Host`);
//! - `errors`: the answers in the error model.
//!
//! CORS headers on every response come from the host's own allow-list (the
//! handlers' `ALLOWED_ORIGINS` environment variable plays no part here) and
//! the contract's policy. Where the host answers differently from the
//! deployed gateway on purpose, the contract's `localDifferences` says so
//! (docs/gateway.md).
//!
//! The asynchronous side (outbox → queue → processor → topic → notifier)
//! runs in-process too: see [`pipeline`].

pub mod config;
mod envelopes;
mod errors;
mod gateway;
mod local_api;
mod local_queues;
pub mod pipeline;
mod proxy;
mod routes;
pub mod saga;
pub mod saga_workflow;
mod server;
mod state;
mod ui;
mod wire;

pub use config::{
    load_or_create_api_key, Config, Timeouts, API_KEY_FILE, DEFAULT_ALLOWED_ORIGINS, STAGE,
};
pub use server::{serve, Server, MAX_HEAD_BYTES};
pub use state::AppState;

/// The tables of the local stand-ins that share the store's file (queues
/// and sent notifications, saga executions), created on open with the
/// store's own.
pub const STAND_IN_TABLES: [orders_sqlite::Migration; 2] =
    [orders_local_aws::MIGRATION, orders_local_sfn::MIGRATION];

/// Opens (creating if needed) the host's database file: the store's schema
/// and the stand-ins' tables.
pub fn open_store(
    path: impl AsRef<std::path::Path>,
) -> Result<orders_sqlite::SqliteStore, orders_core::StoreError> {
    orders_sqlite::SqliteStore::open_with(path, &STAND_IN_TABLES)
}
