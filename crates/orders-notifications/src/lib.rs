//! Customer notifications: what a status change tells the customer, rendered
//! from the templates in `templates/` (one e-mail and one SMS template per
//! status; [`Templates`], the domain's [`NotificationRenderer`]), the masking
//! that keeps addresses out of logs, and the notifier of a stage that sends
//! nothing ([`LogNotifier`]). notify-customer and the local host use them.
//!
//! An e-mail template's first line is the subject; the rest is the body.
//! Templates see `order_id`, `order_ref` (the id's last 8 characters, easy
//! to read out), `total`, `currency`, `item_count` and `reason`. They do not
//! see the customer's name, so a rendered message can be logged.

use async_trait::async_trait;
use minijinja::{context, Environment};
use orders_core::model::{FailureReason, Order, OrderStatus};
use orders_core::notification::{Channel, EmailMessage, Notification, SmsMessage};
use orders_core::ports::{NotificationRenderer, Notifier};
use orders_core::DeliveryError;
use std::sync::LazyLock;

const TEMPLATES: [(&str, &str); 8] = [
    (
        "processing.email",
        include_str!("../templates/processing.email.txt"),
    ),
    (
        "processing.sms",
        include_str!("../templates/processing.sms.txt"),
    ),
    (
        "completed.email",
        include_str!("../templates/completed.email.txt"),
    ),
    (
        "completed.sms",
        include_str!("../templates/completed.sms.txt"),
    ),
    (
        "failed.email",
        include_str!("../templates/failed.email.txt"),
    ),
    ("failed.sms", include_str!("../templates/failed.sms.txt")),
    (
        "cancelled.email",
        include_str!("../templates/cancelled.email.txt"),
    ),
    (
        "cancelled.sms",
        include_str!("../templates/cancelled.sms.txt"),
    ),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("notification templates compile");
    }
    env
});

/// Compiles the templates now rather than on the first message.
pub fn warm_up() {
    LazyLock::force(&ENV);
}

/// The templates above, as the notify use case's renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Templates;

impl NotificationRenderer for Templates {
    fn render(&self, order: &Order, status: OrderStatus) -> Option<Notification> {
        render(order, status)
    }
}

/// The messages for `order` entering `status` (its current status, or one
/// it moved through), addressed to the contacts the order carries. `None`
/// for PENDING, which is not notified.
pub fn render(order: &Order, status: OrderStatus) -> Option<Notification> {
    if !status.is_notified() {
        return None;
    }
    let key = status.as_str().to_ascii_lowercase();
    let id = order.order_id.to_string();
    let ctx = context! {
        order_id => id,
        order_ref => id[id.len() - 8..].to_ascii_uppercase(),
        total => order.total.to_string(),
        currency => order.currency,
        item_count => order.items.iter().map(|i| u64::from(i.quantity)).sum::<u64>(),
        reason => order.status_reason.as_deref().map(FailureReason::words_for),
    };
    let render = |channel: &str| -> String {
        ENV.get_template(&format!("{key}.{channel}"))
            .and_then(|t| t.render(&ctx))
            .expect("every notified status has its templates")
    };
    let email = order.customer_email.as_ref().map(|to| {
        let text = render("email");
        let (subject, body) = text.split_once('\n').unwrap_or((&text, ""));
        EmailMessage {
            to: to.clone(),
            subject: subject.trim().to_string(),
            body: body.trim().to_string(),
        }
    });
    let sms = order.customer_phone.as_ref().map(|to| SmsMessage {
        to: to.clone(),
        text: render("sms").trim().to_string(),
    });
    Some(Notification {
        order_id: order.order_id,
        status,
        email,
        sms,
    })
}

/// `ada@example.com` → `a***@example.com`.
pub fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// `+14155550100` → `+*******0100`: only the last four digits stay.
pub fn mask_phone(number: &str) -> String {
    let n = number.chars().count();
    number
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i + 4 >= n || !c.is_ascii_digit() {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The notification as it may appear in a log: addresses masked.
pub fn masked(n: &Notification) -> Notification {
    let mut out = n.clone();
    if let Some(e) = out.email.as_mut() {
        e.to = mask_email(&e.to);
    }
    if let Some(s) = out.sms.as_mut() {
        s.to = mask_phone(&s.to);
    }
    out
}

/// The notifier of a stage that sends neither e-mail nor SMS: one structured
/// log line per notification, addresses masked.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn send(&self, n: &Notification) -> Result<Vec<Channel>, DeliveryError> {
        log_notification(n);
        Ok(vec![Channel::Log])
    }
}

/// Logs a rendered notification with its addresses masked.
pub fn log_notification(n: &Notification) {
    let m = masked(n);
    tracing::info!(
        order_id = %m.order_id,
        status = %m.status,
        email_to = m.email.as_ref().map(|e| e.to.as_str()),
        email_subject = m.email.as_ref().map(|e| e.subject.as_str()),
        email_body = m.email.as_ref().map(|e| e.body.as_str()),
        sms_to = m.sms.as_ref().map(|s| s.to.as_str()),
        sms_text = m.sms.as_ref().map(|s| s.text.as_str()),
        "notification rendered (not sent: no channel enabled)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_core::model::{parse_timestamp, OrderItem};
    use rust_decimal::Decimal;
    use uuid::Uuid;

    fn order(status: OrderStatus) -> Order {
        Order {
            order_id: Uuid::parse_str("019a1b2c-3d4e-7f00-8a00-0123456789ab").unwrap(),
            customer_id: "c-1".into(),
            customer_name: Some("Ada Lovelace".into()),
            customer_email: Some("ada@example.com".into()),
            customer_phone: Some("+14155550100".into()),
            items: vec![OrderItem {
                sku: "A".into(),
                quantity: 3,
                price: Decimal::new(250, 2),
                line_total: Decimal::new(750, 2),
            }],
            total: Decimal::new(750, 2),
            currency: "EUR".into(),
            status,
            status_reason: None,
            status_detail: None,
            payment_token: None,
            compensation_started_at: None,
            created_at: parse_timestamp("2026-11-22T02:01:33.123Z").unwrap(),
            updated_at: parse_timestamp("2026-11-22T02:01:33.123Z").unwrap(),
        }
    }

    #[test]
    fn every_notified_status_renders_both_channels() {
        for status in OrderStatus::ALL {
            let n = render(&order(status), status);
            if status == OrderStatus::Pending {
                assert!(n.is_none());
                continue;
            }
            let n = n.unwrap();
            let email = n.email.unwrap();
            let sms = n.sms.unwrap();
            assert_eq!(email.to, "ada@example.com");
            assert!(email.subject.contains("0123456789AB".get(4..).unwrap()));
            assert!(!email.subject.contains('\n'));
            assert!(email.body.contains("7.50 EUR") || status == OrderStatus::Completed);
            assert!(email.body.contains("019a1b2c-3d4e-7f00-8a00-0123456789ab"));
            assert!(sms.text.len() <= 160, "{status}: {}", sms.text);
            assert!(!sms.text.contains("{{"));
            // No names in customer texts: they end up in logs.
            assert!(!email.body.contains("Ada"));
        }
    }

    #[test]
    fn failure_reason_is_told() {
        let mut o = order(OrderStatus::Failed);
        o.status_reason = Some("payment declined".into());
        let n = render(&o, OrderStatus::Failed).unwrap();
        assert!(n.email.unwrap().body.contains("Reason: payment declined"));
        assert!(n.sms.unwrap().text.contains(": payment declined."));
        let n = render(&order(OrderStatus::Failed), OrderStatus::Failed).unwrap();
        assert!(!n.email.unwrap().body.contains("Reason"));
        // The saga's reason codes are told in words, never as codes.
        for (code, words) in [
            ("PAYMENT_DECLINED", "your payment was declined"),
            ("OUT_OF_STOCK", "some items are out of stock"),
            (
                "PROCESSING_ERROR",
                "a technical problem stopped us from processing it",
            ),
        ] {
            o.status_reason = Some(code.into());
            let n = render(&o, OrderStatus::Failed).unwrap();
            let (email, sms) = (n.email.unwrap().body, n.sms.unwrap().text);
            assert!(email.contains(&format!("Reason: {words}")), "{email}");
            assert!(sms.contains(words) && !sms.contains(code), "{sms}");
        }
    }

    #[test]
    fn missing_contacts_mean_no_message_on_that_channel() {
        let mut o = order(OrderStatus::Processing);
        o.customer_email = None;
        o.customer_phone = None;
        let n = render(&o, OrderStatus::Processing).unwrap();
        assert!(n.email.is_none() && n.sms.is_none());
    }

    #[test]
    fn masking() {
        assert_eq!(mask_email("ada@example.com"), "a***@example.com");
        assert_eq!(mask_email("nonsense"), "***");
        assert_eq!(mask_phone("+14155550100"), "+*******0100");
        let m = masked(&render(&order(OrderStatus::Processing), OrderStatus::Processing).unwrap());
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("ada@example.com"));
        assert!(!json.contains("4155550100"));
    }
}
