//! Business metrics as CloudWatch Embedded Metric Format log lines: one JSON
//! object per line on stdout, which CloudWatch Logs turns into metrics with
//! no `PutMetricData` call (no latency, no extra permission, no cost per
//! call). Every metric carries the stage as its one dimension.
//!
//! The namespace comes from `METRICS_NAMESPACE` (default `Orders`), the
//! stage from `STAGE` (default `local`).

use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::LazyLock;

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    /// A plain number (OrderValue: an amount in the order's currency).
    None,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
            Self::None => "None",
        }
    }
}

/// Where metrics go: a namespace and the stage dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    pub namespace: String,
    pub stage: String,
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::from_env);

impl Metrics {
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        Self {
            namespace: var("METRICS_NAMESPACE", "Orders"),
            stage: var("STAGE", "local"),
        }
    }

    /// The process-wide metrics, read from the environment once.
    pub fn global() -> &'static Metrics {
        &GLOBAL
    }

    /// The EMF document of `values` (name, unit, value) with `properties`
    /// (searchable in Logs Insights, not dimensions) at `timestamp_ms`.
    pub fn document(
        &self,
        timestamp_ms: i64,
        values: &[(&str, Unit, f64)],
        properties: &[(&str, String)],
    ) -> Value {
        let mut doc = Map::new();
        doc.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [["Stage"]],
                    "Metrics": values.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()})).collect::<Vec<_>>(),
                }],
            }),
        );
        doc.insert("Stage".into(), Value::String(self.stage.clone()));
        for (name, _, value) in values {
            doc.insert((*name).into(), json!(value));
        }
        for (name, value) in properties {
            doc.insert((*name).into(), Value::String(value.clone()));
        }
        Value::Object(doc)
    }

    /// Writes one EMF line to stdout.
    pub fn emit(&self, values: &[(&str, Unit, f64)], properties: &[(&str, String)]) {
        let doc = self.document(chrono::Utc::now().timestamp_millis(), values, properties);
        let mut out = std::io::stdout().lock();
        // A metric is never worth failing a request for.
        let _ = writeln!(out, "{doc}");
    }
}

/// `OrdersCreated` (1) and `OrderValue` (the total).
pub fn order_created(order_id: &str, total: rust_decimal::Decimal, currency: &str) {
    use rust_decimal::prelude::ToPrimitive;
    Metrics::global().emit(
        &[
            ("OrdersCreated", Unit::Count, 1.0),
            ("OrderValue", Unit::None, total.to_f64().unwrap_or(0.0)),
        ],
        &[("orderId", order_id.into()), ("currency", currency.into())],
    );
}

/// `ProcessingLag`: createdAt to PROCESSING, in milliseconds.
pub fn processing_lag(order_id: &str, lag_ms: i64) {
    Metrics::global().emit(
        &[("ProcessingLag", Unit::Milliseconds, lag_ms.max(0) as f64)],
        &[("orderId", order_id.into())],
    );
}

/// `NotificationsSent` (1 per notification, whatever its channels).
pub fn notification_sent(order_id: &str, status: &str, channels: &str) {
    Metrics::global().emit(
        &[("NotificationsSent", Unit::Count, 1.0)],
        &[
            ("orderId", order_id.into()),
            ("status", status.into()),
            ("channels", channels.into()),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_shape() {
        let m = Metrics {
            namespace: "Orders".into(),
            stage: "dev".into(),
        };
        let d = m.document(
            1_700_000_000_000,
            &[
                ("OrdersCreated", Unit::Count, 1.0),
                ("OrderValue", Unit::None, 42.5),
            ],
            &[("orderId", "o-1".into())],
        );
        assert_eq!(d["_aws"]["Timestamp"], 1_700_000_000_000i64);
        let cw = &d["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], "Orders");
        assert_eq!(cw["Dimensions"], json!([["Stage"]]));
        assert_eq!(
            cw["Metrics"][0],
            json!({"Name": "OrdersCreated", "Unit": "Count"})
        );
        assert_eq!(
            cw["Metrics"][1],
            json!({"Name": "OrderValue", "Unit": "None"})
        );
        assert_eq!(d["Stage"], "dev");
        assert_eq!(d["OrdersCreated"], 1.0);
        assert_eq!(d["OrderValue"], 42.5);
        assert_eq!(d["orderId"], "o-1");
        // One line: EMF needs the whole document on one log line.
        assert!(!d.to_string().contains('\n'));
    }
}
