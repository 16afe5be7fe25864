//! What the tests of this workspace share, so no suite keeps its own copy:
//!
//! - [`orders`]: fixed instants, UUID v7 ids for a given time (and shard),
//!   order and idempotency-record builders, create-request bodies;
//! - [`World`]: an in-memory embedded store with the queue standing in for
//!   the notifications topic and the recording notifier, as the function
//!   tests use them;
//! - [`events`]: fixture loading and the Lambda events the functions get
//!   (API Gateway REST proxy requests, SQS batches, SNS deliveries), and the
//!   answers they give; API Gateway proxy events from scratch
//!   ([`events::proxy`]);
//! - [`loopback`]: a loopback-only HTTP/1.1 client (one request, or a
//!   kept-alive connection);
//! - [`host`]: the local host as a child process (command line, `/health`,
//!   graceful stop).
//!
//! The benchmarks and the load tool (bench/) use it too, so measurement and
//! tests build the same events and talk to the host the same way.
//!
//! Only ever a dev-dependency of the function crates: it links the embedded
//! store, which stays out of their builds.

pub mod events;
pub mod host;
pub mod loopback;
pub mod orders;
mod world;

pub use world::World;
