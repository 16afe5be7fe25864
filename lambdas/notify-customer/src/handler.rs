//! Maps an SNS event to [`orders_core::usecases::notify_status_changed`].
//!
//! SNS invokes the function asynchronously with one record; an error makes
//! Lambda retry the invocation (twice) and then hand the event to the
//! function's failure destination. So every record must succeed for the
//! invocation to succeed: duplicates succeed without sending (the ledger),
//! and so does a notification the delivery service refused for good
//! ([`NotifyOutcome::Refused`]: recorded in the ledger, logged as a WARN
//! and counted, since a retry gets the same answer); a send that may pass
//! on a retry (throttled, a service fault, a timeout, denied access) fails,
//! and so do events that can never be sent (not an `OrderStatusChanged`,
//! invalid, unknown order).

use aws_lambda_events::event::sns::SnsEvent;
use chrono::Utc;
use orders_core::events::OrderEvent;
use orders_core::usecases::{notify_status_changed, NotifyError, NotifyOutcome};
use orders_core::{NotificationLedger, Notifier, OrderReader};
use orders_notifications::Templates;
use tracing::Instrument;

/// Why one record was not handled.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the message is not a valid event: {0}")]
    Invalid(String),
    #[error("the notifier does not take {0} events")]
    UnexpectedType(&'static str),
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// The ports the notifier needs.
pub struct Deps<'a, R: ?Sized, L: ?Sized, N: ?Sized> {
    pub orders: &'a R,
    pub ledger: &'a L,
    pub notifier: &'a N,
}

/// One invocation: every record, in order, each inside a span with its
/// message id and order id; the first error fails the invocation.
pub async fn handle<R, L, N>(
    deps: &Deps<'_, R, L, N>,
    event: SnsEvent,
) -> Result<Vec<NotifyOutcome>, RecordError>
where
    R: OrderReader + ?Sized,
    L: NotificationLedger + ?Sized,
    N: Notifier + ?Sized,
{
    let mut outcomes = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let span = tracing::info_span!(
            "message",
            message_id = %record.sns.message_id,
            order_id = tracing::field::Empty
        );
        let result = notify(deps, &record.sns.message)
            .instrument(span.clone())
            .await;
        if let Err(e) = &result {
            span.in_scope(|| tracing::error!(error = %e, "notification failed; the invocation will be retried"));
        }
        outcomes.push(result?);
    }
    Ok(outcomes)
}

/// One message body (the event JSON).
async fn notify<R, L, N>(deps: &Deps<'_, R, L, N>, body: &str) -> Result<NotifyOutcome, RecordError>
where
    R: OrderReader + ?Sized,
    L: NotificationLedger + ?Sized,
    N: Notifier + ?Sized,
{
    let event = orders_validation::events::parse_event(body)
        .map_err(|e| RecordError::Invalid(e.join("; ")))?;
    tracing::Span::current().record("order_id", tracing::field::display(event.order_id()));
    let OrderEvent::OrderStatusChanged(changed) = event else {
        return Err(RecordError::UnexpectedType(event.event_type()));
    };
    let (orders, ledger, notifier) = (deps.orders, deps.ledger, deps.notifier);
    Ok(notify_status_changed(orders, ledger, &Templates, notifier, &changed, Utc::now()).await?)
}
