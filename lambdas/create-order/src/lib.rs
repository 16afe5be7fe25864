//! `POST /orders` as a Lambda function behind API Gateway (REST, proxy).
//! `main.rs` wires the DynamoDB store; the local host calls [`handler::handle`]
//! with the embedded one.

pub mod handler;
