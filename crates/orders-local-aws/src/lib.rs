//! Local stand-ins for the AWS services of the Orders pipeline, on the
//! embedded store's SQLite file, for the local host:
//!
//! | AWS | stand-in |
//! | --- | --- |
//! | DynamoDB Streams + EventBridge Pipes (INSERT → SQS, status MODIFY → SNS) | [`dispatcher`]: outbox rows → their queue |
//! | SQS standard queue with a redrive policy | [`queue::Queue`] |
//! | SNS notifications topic (fed by the stream's second pipe) | a queue the notifier consumes, fed by the dispatcher with the status moves' outbox rows |
//! | SES e-mail, SNS text messages | [`notifier::RecordingNotifier`] (the `sent_notifications` table) |
//!
//! `orders-sqlite` is the adapter of the core's ports (orders, status moves,
//! the outbox written with each order, the send ledger) and owns the file:
//! its connections, which these stand-ins borrow
//! ([`SqliteStore::with_writer`](orders_sqlite::SqliteStore::with_writer) /
//! [`with_reader`](orders_sqlite::SqliteStore::with_reader)). These
//! stand-ins own their tables (`queue_messages`, `sent_notifications`):
//! [`MIGRATION`] creates them, run by whoever opens the file
//! ([`SqliteStore::open_with`](orders_sqlite::SqliteStore::open_with)). Every state change is
//! a committed SQLite transaction, so a crash of the local host loses or
//! duplicates nothing.
//!
//! The Lambda functions never link this crate: on AWS the real services do
//! this work.

pub mod dispatcher;
pub mod notifier;
pub mod queue;
mod schema;

pub use schema::MIGRATION;
