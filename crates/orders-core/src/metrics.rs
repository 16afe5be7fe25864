//! Business metrics, as the use cases see them: what happened, with no
//! format and no destination. A port, like the others, but process-wide
//! (as `log` and `tracing` are): the binary installs one [`MetricsSink`] at
//! start (`orders_telemetry::init` installs the CloudWatch EMF one);
//! until then, and in tests that install none, metrics go nowhere.
//!
//! The metrics: `OrdersCreated` and `OrderValue` (a create), `ProcessingLag`
//! (createdAt to PROCESSING), `NotificationsSent` (one per notification),
//! `NotificationsRefused` (one per notification the delivery service
//! refused for good).

pub use crate::model::Metric;
use crate::ports::MetricsSink;
use rust_decimal::Decimal;
use std::sync::OnceLock;

static SINK: OnceLock<Box<dyn MetricsSink>> = OnceLock::new();

/// Installs the process's sink. Only the first call installs anything; it
/// returns `false` when a sink was already there.
pub fn set_sink(sink: impl MetricsSink + 'static) -> bool {
    SINK.set(Box::new(sink)).is_ok()
}

/// Records `metric` on the process's sink, if one is installed.
pub fn record(metric: &Metric<'_>) {
    if let Some(sink) = SINK.get() {
        sink.record(metric);
    }
}

/// [`Metric::OrderCreated`].
pub fn order_created(order_id: &str, total: Decimal, currency: &str) {
    record(&Metric::OrderCreated {
        order_id,
        total,
        currency,
    });
}

/// [`Metric::ProcessingLag`].
pub fn processing_lag(order_id: &str, lag_ms: i64) {
    record(&Metric::ProcessingLag { order_id, lag_ms });
}

/// [`Metric::NotificationSent`].
pub fn notification_sent(order_id: &str, status: &str, channels: &str) {
    record(&Metric::NotificationSent {
        order_id,
        status,
        channels,
    });
}

/// [`Metric::NotificationRefused`].
pub fn notification_refused(order_id: &str, status: &str, code: &str) {
    record(&Metric::NotificationRefused {
        order_id,
        status,
        code,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Keeps what it is given (as text: the metrics borrow).
    struct Recording(&'static Mutex<Vec<String>>);

    impl MetricsSink for Recording {
        fn record(&self, metric: &Metric<'_>) {
            self.0.lock().unwrap().push(format!("{metric:?}"));
        }
    }

    #[test]
    fn metrics_reach_the_installed_sink_once_it_is_installed() {
        static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let id = uuid::Uuid::now_v7().to_string();
        // No sink yet: dropped, and nothing breaks.
        processing_lag(&id, 1);
        assert!(set_sink(Recording(&SEEN)));
        assert!(!set_sink(Recording(&SEEN)), "installed once");
        order_created(&id, Decimal::new(850, 2), "EUR");
        processing_lag(&id, 12);
        notification_sent(&id, "PROCESSING", "email");
        // Other tests of this binary run use cases too: keep this order's.
        let seen: Vec<String> = SEEN
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.contains(&id))
            .cloned()
            .collect();
        assert_eq!(
            seen,
            [
                format!(
                    "{:?}",
                    Metric::OrderCreated {
                        order_id: &id,
                        total: Decimal::new(850, 2),
                        currency: "EUR"
                    }
                ),
                format!(
                    "{:?}",
                    Metric::ProcessingLag {
                        order_id: &id,
                        lag_ms: 12
                    }
                ),
                format!(
                    "{:?}",
                    Metric::NotificationSent {
                        order_id: &id,
                        status: "PROCESSING",
                        channels: "email"
                    }
                ),
            ]
        );
    }
}
