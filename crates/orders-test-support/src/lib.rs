//! What the tests of this workspace share, so no suite keeps its own copy:
//!
//! - [`orders`]: fixed instants, UUID v7 ids for a given time (and shard),
//!   order and idempotency-record builders, create-request bodies;
//! - [`World`]: an in-memory embedded store with the queue standing in for
//!   the notifications topic and the recording notifier, as the function
//!   tests use them;
//! - [`events`]: fixture loading and the Lambda events the functions get
//!   (API Gateway REST proxy requests, SQS batches, SNS deliveries), and the
//!   answers they give.
//!
//! Only ever a dev-dependency of the function crates: it links the embedded
//! store, which stays out of their builds.

pub mod events;
pub mod orders;
mod world;

pub use world::World;
