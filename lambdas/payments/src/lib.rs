//! The payments function of the order saga: `charge` and `refund` (see
//! [`orders_core::usecases::saga::run_payment_task`]).

pub mod handler;
