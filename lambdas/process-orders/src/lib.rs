//! The processor: SQS batches of `OrderCreated` events, each moving its
//! order PENDING to PROCESSING once (see [`orders_core::usecases::process`]).

pub mod handler;
