//! Business metrics as CloudWatch Embedded Metric Format log lines: one JSON
//! object per line on stdout, which CloudWatch Logs turns into metrics with
//! no `PutMetricData` call (no latency, no extra permission, no cost per
//! call). Every metric carries the stage as its one dimension.
//!
//! The namespace comes from `METRICS_NAMESPACE` (default `Orders`), the
//! stage from `STAGE` (default `local`).

use orders_core::contract::env;
use orders_core::metrics::Metric;
use orders_core::ports::MetricsSink;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{json, Map, Value};
use std::io::Write;

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

/// The EMF sink: a namespace and the stage dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emf {
    pub namespace: String,
    pub stage: String,
}

/// The values (name, unit, value) and properties of one metric.
type Fields<'a> = (Vec<(&'static str, Unit, f64)>, Vec<(&'static str, &'a str)>);

/// What [`Metric`] becomes in CloudWatch.
fn fields<'a>(metric: &Metric<'a>) -> Fields<'a> {
    match *metric {
        Metric::OrderCreated {
            order_id,
            total,
            currency,
        } => (
            vec![
                ("OrdersCreated", Unit::Count, 1.0),
                ("OrderValue", Unit::None, total.to_f64().unwrap_or(0.0)),
            ],
            vec![("orderId", order_id), ("currency", currency)],
        ),
        Metric::ProcessingLag { order_id, lag_ms } => (
            vec![("ProcessingLag", Unit::Milliseconds, lag_ms.max(0) as f64)],
            vec![("orderId", order_id)],
        ),
        Metric::NotificationSent {
            order_id,
            status,
            channels,
        } => (
            vec![("NotificationsSent", Unit::Count, 1.0)],
            vec![
                ("orderId", order_id),
                ("status", status),
                ("channels", channels),
            ],
        ),
        Metric::NotificationRefused {
            order_id,
            status,
            code,
        } => (
            vec![("NotificationsRefused", Unit::Count, 1.0)],
            vec![
                ("orderId", order_id),
                ("status", status),
                ("errorCode", code),
            ],
        ),
    }
}

impl Emf {
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        Self {
            namespace: var(env::METRICS_NAMESPACE, "Orders"),
            stage: var(env::STAGE, "local"),
        }
    }

    /// The EMF document of `values` (name, unit, value) with `properties`
    /// (searchable in Logs Insights, not dimensions) at `timestamp_ms`.
    pub fn document(
        &self,
        timestamp_ms: i64,
        values: &[(&str, Unit, f64)],
        properties: &[(&str, &str)],
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
            doc.insert((*name).into(), Value::String((*value).to_string()));
        }
        Value::Object(doc)
    }

    /// The EMF document of `metric` at `timestamp_ms`.
    pub fn metric_document(&self, timestamp_ms: i64, metric: &Metric<'_>) -> Value {
        let (values, properties) = fields(metric);
        self.document(timestamp_ms, &values, &properties)
    }
}

impl MetricsSink for Emf {
    /// Writes one EMF line to stdout.
    fn record(&self, metric: &Metric<'_>) {
        let doc = self.metric_document(chrono::Utc::now().timestamp_millis(), metric);
        let mut out = std::io::stdout().lock();
        // A metric is never worth failing a request for.
        let _ = writeln!(out, "{doc}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn dev() -> Emf {
        Emf {
            namespace: "Orders".into(),
            stage: "dev".into(),
        }
    }

    #[test]
    fn emf_document_shape() {
        let d = dev().document(
            1_700_000_000_000,
            &[
                ("OrdersCreated", Unit::Count, 1.0),
                ("OrderValue", Unit::None, 42.5),
            ],
            &[("orderId", "o-1")],
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

    /// The documents the metrics of the use cases become, exactly.
    #[test]
    fn each_metric_as_cloudwatch_gets_it() {
        let emf = dev();
        let aws = |metrics: Value| {
            json!({"Timestamp": 7, "CloudWatchMetrics": [{
                "Namespace": "Orders", "Dimensions": [["Stage"]], "Metrics": metrics}]})
        };
        let created = Metric::OrderCreated {
            order_id: "o-1",
            total: Decimal::new(1234, 2),
            currency: "EUR",
        };
        assert_eq!(
            emf.metric_document(7, &created),
            json!({
                "_aws": aws(json!([{"Name": "OrdersCreated", "Unit": "Count"},
                                   {"Name": "OrderValue", "Unit": "None"}])),
                "Stage": "dev", "OrdersCreated": 1.0, "OrderValue": 12.34,
                "orderId": "o-1", "currency": "EUR",
            })
        );
        // A clock step backwards is no negative lag.
        let lag = Metric::ProcessingLag {
            order_id: "o-1",
            lag_ms: -5,
        };
        assert_eq!(
            emf.metric_document(7, &lag),
            json!({
                "_aws": aws(json!([{"Name": "ProcessingLag", "Unit": "Milliseconds"}])),
                "Stage": "dev", "ProcessingLag": 0.0, "orderId": "o-1",
            })
        );
        let sent = Metric::NotificationSent {
            order_id: "o-1",
            status: "PROCESSING",
            channels: "email,sms",
        };
        assert_eq!(
            emf.metric_document(7, &sent),
            json!({
                "_aws": aws(json!([{"Name": "NotificationsSent", "Unit": "Count"}])),
                "Stage": "dev", "NotificationsSent": 1.0, "orderId": "o-1",
                "status": "PROCESSING", "channels": "email,sms",
            })
        );
        let refused = Metric::NotificationRefused {
            order_id: "o-1",
            status: "COMPLETED",
            code: "MessageRejected",
        };
        assert_eq!(
            emf.metric_document(7, &refused),
            json!({
                "_aws": aws(json!([{"Name": "NotificationsRefused", "Unit": "Count"}])),
                "Stage": "dev", "NotificationsRefused": 1.0, "orderId": "o-1",
                "status": "COMPLETED", "errorCode": "MessageRejected",
            })
        );
    }
}
