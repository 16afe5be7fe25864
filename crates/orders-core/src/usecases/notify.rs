//! The notifier's step: an `OrderStatusChanged` becomes the customer's
//! messages, sent once per (order, status).

use crate::events::OrderStatusChanged;
use crate::metrics;
use crate::notification::Channel;
use crate::ports::{Claim, NotificationLedger, NotificationRenderer, Notifier, OrderReader};
use crate::DeliveryError;
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

/// The `notification_outcome` field of the WARN log line a permanent
/// refusal writes (a metric filter can count it besides the EMF metric
/// `NotificationsRefused`).
pub const REFUSED_OUTCOME: &str = "refused";

/// How long a notifier's claim on (order, status) lasts: a sender that died
/// holding one is replaced after this.
pub const NOTIFICATION_LEASE: Duration = Duration::from_secs(30);

/// What handling one `OrderStatusChanged` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyOutcome {
    Sent(Vec<Channel>),
    /// Already sent for this (order, status): nothing sent.
    Duplicate,
    /// A status the customer does not hear about.
    NotNotified,
    /// The delivery service refused the notification for good (its error
    /// `code`): recorded in the ledger, logged and counted, and not retried.
    Refused {
        code: String,
    },
}

/// Why a notification was not sent; every variant is worth a retry except
/// [`NotifyError::OrderNotFound`], which the dead-letter queue keeps. A
/// permanent refusal by the delivery service is no error: it is
/// [`NotifyOutcome::Refused`].
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("order {0} was not found")]
    OrderNotFound(Uuid),
    #[error("another delivery of this event is sending it")]
    InFlight,
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    #[error(transparent)]
    Delivery(#[from] crate::DeliveryError),
}

/// The notifier's step: render the customer's messages for the new status
/// (`renderer`) and send them once per (order, status). `now` starts the
/// ledger claim's lease and is the time the send is recorded at.
pub async fn notify_status_changed<R, L, T, N>(
    reader: &R,
    ledger: &L,
    renderer: &T,
    notifier: &N,
    event: &OrderStatusChanged,
    now: DateTime<Utc>,
) -> Result<NotifyOutcome, NotifyError>
where
    R: OrderReader + ?Sized,
    L: NotificationLedger + ?Sized,
    T: NotificationRenderer + ?Sized,
    N: Notifier + ?Sized,
{
    if !event.status.is_notified() {
        return Ok(NotifyOutcome::NotNotified);
    }
    let mut order = reader
        .get_order(event.order_id)
        .await?
        .ok_or(NotifyError::OrderNotFound(event.order_id))?;
    // Tell the customer about the status of the event, even if the order has
    // moved on since; the reason is the event's.
    order.status_reason = event.reason.clone();
    match ledger
        .claim(event.order_id, event.status, now, NOTIFICATION_LEASE)
        .await?
    {
        Claim::AlreadySent => {
            tracing::info!(order_id = %event.order_id, status = %event.status, "notification already sent: nothing to do");
            return Ok(NotifyOutcome::Duplicate);
        }
        Claim::Refused => {
            tracing::info!(order_id = %event.order_id, status = %event.status, "notification refused earlier: nothing to do");
            return Ok(NotifyOutcome::Duplicate);
        }
        Claim::InFlight => return Err(NotifyError::InFlight),
        Claim::Claimed => {}
    }
    let notification = renderer
        .render(&order, event.status)
        .expect("notified status");
    let channels = match notifier.send(&notification).await {
        Ok(channels) => channels,
        // Retrying would get the same answer: failing here would only make
        // Lambda retry, fill the dead-letter queue and fail a canary. The
        // ledger settles it so a redelivery does not try again.
        Err(DeliveryError::Rejected { code, .. }) => {
            ledger
                .refuse(event.order_id, event.status, now, &code)
                .await?;
            metrics::notification_refused(
                &event.order_id.to_string(),
                event.status.as_str(),
                &code,
            );
            // The code only: the service's message may carry an address.
            tracing::warn!(order_id = %event.order_id, status = %event.status,
                notification_outcome = REFUSED_OUTCOME, error_code = %code,
                "notification refused for good by the delivery service: recorded, not retried");
            return Ok(NotifyOutcome::Refused { code });
        }
        Err(e) => return Err(e.into()),
    };
    ledger
        .complete(event.order_id, event.status, now, &channels)
        .await?;
    let names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    metrics::notification_sent(
        &event.order_id.to_string(),
        event.status.as_str(),
        &names.join(","),
    );
    tracing::info!(order_id = %event.order_id, status = %event.status, channels = %names.join(","), "notification sent");
    Ok(NotifyOutcome::Sent(channels))
}
