//! The inventory function of the order saga: `reserve` and `release` (see
//! [`orders_core::usecases::saga::run_inventory_task`]).

pub mod handler;
