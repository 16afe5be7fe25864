//! The notifier: `OrderStatusChanged` events from the notifications topic
//! become the customer's e-mail and SMS, once per (order, status) (see
//! [`orders_core::usecases::notify_status_changed`]).

pub mod handler;
