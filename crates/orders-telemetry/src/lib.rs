//! What every binary (the six functions, the local host) sets up once at
//! start: JSON logs through `tracing` on stderr, and the business metrics
//! as CloudWatch Embedded Metric Format lines on stdout ([`emf`]), installed
//! as the process's [`orders_core::ports::MetricsSink`].
//!
//! The HTTP crate is not needed for this: the queue and topic functions
//! depend on this crate alone.

pub mod emf;

/// Logs and metrics: [`init_tracing`], then the EMF sink read from the
/// environment (`METRICS_NAMESPACE`, `STAGE`). Calling it twice is harmless.
pub fn init() {
    init_tracing();
    orders_core::metrics::set_sink(emf::Emf::from_env());
}

/// Sets up JSON logs: one object per line, the event's fields flattened, the
/// current span (which carries the request ids) included, filter from
/// `RUST_LOG` (default `info`), no ANSI colours. Logs go to stderr (Lambda
/// ships both streams to CloudWatch; stdout carries the EMF lines, and the
/// local host keeps it for people). Calling it twice is harmless.
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_ansi(false)
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(std::io::stderr)
        .try_init();
}
