//! `POST /orders/{orderId}/cancel`: PENDING to CANCELLED, and the customer
//! is told (see [`orders_core::usecases::cancel_order`]).

pub mod handler;
