//! The events Lambda's event sources would pass the local host's handlers:
//! an SQS batch for process-orders, an SNS notification for notify-customer,
//! built from the local queues' messages.

use chrono::{TimeZone, Utc};
use orders_core::events::OrderEvent;
use orders_core::model::format_timestamp;
use orders_local_aws::queue::Message;
use serde_json::{json, Value};

const REGION: &str = "local";
const ACCOUNT: &str = "000000000000";

fn arn(service: &str, name: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{name}")
}

/// The event Lambda's SQS event source mapping would pass for `batch`.
pub fn sqs_event(queue: &str, batch: &[Message]) -> Value {
    let records: Vec<Value> = batch
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": {
                    "ApproximateReceiveCount": m.receive_count.to_string(),
                    "SentTimestamp": m.sent_at_ms.to_string(),
                    "ApproximateFirstReceiveTimestamp": m.first_received_at_ms.to_string(),
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": arn("sqs", queue),
                "awsRegion": REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The event SNS would pass a subscribed function for message `m`, with the
/// message attributes the publisher sets (`eventType`, `status`).
pub fn sns_event(topic: &str, m: &Message) -> Value {
    let mut attributes = serde_json::Map::new();
    if let Ok(event) = orders_validation::events::parse_event(&m.body) {
        attributes.insert(
            "eventType".into(),
            json!({"Type": "String", "Value": event.event_type()}),
        );
        if let OrderEvent::OrderStatusChanged(e) = &event {
            attributes.insert(
                "status".into(),
                json!({"Type": "String", "Value": e.status.as_str()}),
            );
        }
    }
    let sent = Utc
        .timestamp_millis_opt(m.sent_at_ms)
        .single()
        .unwrap_or_else(Utc::now);
    json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": format!("{}:local", arn("sns", topic)),
            "Sns": {
                "Type": "Notification",
                "MessageId": m.message_id,
                "TopicArn": arn("sns", topic),
                "Subject": null,
                "Message": m.body,
                "Timestamp": format_timestamp(sent),
                "SignatureVersion": "1",
                "Signature": "",
                "SigningCertUrl": "",
                "UnsubscribeUrl": "",
                "MessageAttributes": attributes,
            }
        }]
    })
}
