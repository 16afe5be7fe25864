//! `orders-admin`: operator commands.
//!
//! ```text
//! orders-admin [--json] dlq list            [--db PATH] [--queue NAME] | --queue-url URL
//! orders-admin [--json] dlq peek [--limit N] (same target options)
//! orders-admin [--json] dlq redrive [--message-id ID]...                   (local)
//! orders-admin [--json] dlq redrive --queue-url URL [--source-queue-url URL | --source-queue-arn ARN] [--by-copy [--max N]]
//! orders-admin [--json] dlq redrive-status --queue-url URL
//! orders-admin [--json] stock list                [--db PATH] | --table NAME
//! orders-admin [--json] stock get SKU             (same target options)
//! orders-admin [--json] stock set SKU QUANTITY    (same target options)
//! orders-admin [--json] stock import FILE         (same target options)
//! ```
//!
//! Without `--queue-url` the commands work on the local host's embedded
//! store (the SQLite file, `--db` / `ORDERS_DB`, default
//! `.orders-local/orders.db` as the local host), on the dead-letter queue
//! `<queue>-dlq` of `--queue` (default `order-events`, the processing queue;
//! `order-notifications` is the notifier's). With `--queue-url` they work on
//! that SQS dead-letter queue, with credentials and region from the
//! environment (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`; `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL` for an
//! endpoint override). See docs/operations.md.
//!
//! `stock` chooses alike: the local store by default, a stage's orders table
//! with `--table` (credentials and region from the environment as above;
//! `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` for an endpoint).
//!
//! Output is for people by default; `--json` prints one JSON document on
//! stdout for scripts. Errors go to stderr with exit status 1 (2 for usage).

mod aws;
mod local;
mod report;
mod stock;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The local host's default database file (crates/orders-local).
pub const DEFAULT_DB: &str = ".orders-local/orders.db";
/// The local processing queue (its dead-letter queue is `order-events-dlq`).
pub const DEFAULT_QUEUE: &str = "order-events";

#[derive(Debug, Parser)]
#[command(name = "orders-admin", version, about = "Orders operator commands")]
struct Cli {
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Dead-letter queues: count, look at and redrive failed messages.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Stock: list, get, set and import SKUs' available quantities.
    #[command(subcommand)]
    Stock(stock::StockCommand),
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// How many messages the dead-letter queue holds.
    List(Target),
    /// The dead letters: id, receive count, timestamps and body.
    Peek {
        #[command(flatten)]
        target: Target,
        /// At most this many messages (AWS: each peek counts as a receive).
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Moves dead letters back to their source queue to be processed again.
    Redrive(RedriveArgs),
    /// AWS: the dead-letter queue's recent message move tasks.
    RedriveStatus {
        /// URL of the SQS dead-letter queue.
        #[arg(long)]
        queue_url: String,
    },
}

/// Which dead-letter queue: the local store's, or an SQS queue.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Local: the local host's database file.
    #[arg(long, env = "ORDERS_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// Local: the source queue; its dead-letter queue is `<queue>-dlq`.
    #[arg(long, default_value = DEFAULT_QUEUE)]
    pub queue: String,
    /// AWS: URL of the SQS dead-letter queue (selects AWS).
    #[arg(long)]
    pub queue_url: Option<String>,
}

#[derive(Debug, Args)]
struct RedriveArgs {
    #[command(flatten)]
    target: Target,
    /// Local: redrive only this message (repeat for more); default all.
    #[arg(long = "message-id", value_name = "ID")]
    message_ids: Vec<String>,
    /// AWS: the queue to move the messages to (default: the queue each was
    /// dead-lettered from).
    #[arg(long, conflicts_with = "source_queue_arn")]
    source_queue_url: Option<String>,
    /// AWS: as --source-queue-url, by ARN.
    #[arg(long)]
    source_queue_arn: Option<String>,
    /// AWS: move the messages by hand (receive, send, delete) instead of a
    /// message move task: for endpoints without move tasks (moto), and for
    /// dead-letter queues of SNS subscriptions or Lambda functions.
    #[arg(long)]
    by_copy: bool,
    /// AWS, with --by-copy: move at most this many messages.
    #[arg(long, requires = "by_copy")]
    max: Option<usize>,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no local store at {0} (start the local host, or pass --db / set ORDERS_DB)")]
    NoStore(PathBuf),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Store(#[from] orders_core::StoreError),
    #[error(transparent)]
    Messaging(#[from] orders_aws_messaging::MessagingError),
    #[error("{context}: {source}")]
    Hint {
        context: String,
        #[source]
        source: orders_aws_messaging::MessagingError,
    },
}

async fn run(cli: Cli) -> Result<(), AdminError> {
    let command = match cli.command {
        Command::Dlq(command) => command,
        Command::Stock(command) => {
            let report = stock::run(command).await?;
            emit(cli.json, || report.to_json(), || report.to_text());
            return Ok(());
        }
    };
    let out = match command {
        DlqCommand::List(target) => match &target.queue_url {
            Some(url) => aws::list(url, 0).await?,
            None => local::list(&target, 0).await?,
        },
        DlqCommand::Peek { target, limit } => match &target.queue_url {
            Some(url) => aws::list(url, limit).await?,
            None => local::list(&target, limit).await?,
        },
        DlqCommand::Redrive(args) => match &args.target.queue_url {
            Some(url) => {
                if !args.message_ids.is_empty() {
                    return Err(AdminError::Usage(
                        "--message-id is for the local store; an SQS redrive moves every message"
                            .into(),
                    ));
                }
                aws::redrive(
                    url,
                    aws::Destination {
                        url: args.source_queue_url,
                        arn: args.source_queue_arn,
                    },
                    args.by_copy,
                    args.max,
                )
                .await?
            }
            None => {
                if args.by_copy
                    || args.source_queue_url.is_some()
                    || args.source_queue_arn.is_some()
                {
                    return Err(AdminError::Usage(
                        "--by-copy, --source-queue-url and --source-queue-arn need --queue-url (AWS)"
                            .into(),
                    ));
                }
                local::redrive(&args.target, args.message_ids).await?
            }
        },
        DlqCommand::RedriveStatus { queue_url } => aws::redrive_status(&queue_url).await?,
    };
    emit(cli.json, || out.to_json(), || out.to_text());
    Ok(())
}

/// Prints a report: one JSON document (`--json`) or text for people.
fn emit(json: bool, as_json: impl FnOnce() -> String, as_text: impl FnOnce() -> String) {
    if json {
        println!("{}", as_json());
    } else {
        print!("{}", as_text());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orders-admin: {e}");
            ExitCode::FAILURE
        }
    }
}
