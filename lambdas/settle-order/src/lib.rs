//! The settle-order function of the order saga: PROCESSING to COMPLETED, or
//! to FAILED with a reason (see [`orders_core::usecases::saga::run_settle_task`]).

pub mod handler;
