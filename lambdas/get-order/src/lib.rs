//! `GET /orders/{orderId}` as a Lambda function behind API Gateway (REST, proxy).

pub mod handler;
