//! What a failed `SendEmail` (SES v2) or SMS `Publish` (SNS) means for the
//! notification: refused for good, or failed for now.
//!
//! A refusal is read from the operation's typed error variants, never from
//! message text: only a variant the API documents as a refusal of this
//! message, this sender or this account is [`SendError::Refused`]. Anything
//! else, including codes the SDK does not model (`AccessDenied`, `Throttling`,
//! expired credentials), timeouts and unreachable endpoints, is
//! [`SendError::Failed`]: the invocation fails, Lambda retries it, and the
//! event is dead-lettered for a redrive once the cause is fixed.
//!
//! | operation | refused for good | failed (retried) |
//! | --- | --- | --- |
//! | `SendEmail` | `MessageRejected` (also an unverified sender or, in the sandbox, recipient), `MailFromDomainNotVerifiedException`, `BadRequestException`, `NotFoundException`, `AccountSuspendedException`, `SendingPausedException` | `TooManyRequestsException`, `LimitExceededException` (sending rate or quota), anything unmodelled |
//! | `Publish` (SMS) | `InvalidParameter` (an invalid phone number), `ParameterValueInvalid`, `ValidationException`, `EndpointDisabled`, `PlatformApplicationDisabled`, `NotFound` | `InternalError`, `KMSThrottling`, `AuthorizationError`, `InvalidSecurity`, the KMS key errors, anything unmodelled (`Throttling`) |
//!
//! Account-level refusals (`AccountSuspendedException`,
//! `SendingPausedException`) are refusals: SES lifts them after a review that
//! takes days, far beyond Lambda's two retries or a dead-letter redrive
//! anyone would make of status messages by then, and failing would fill the
//! dead-letter queue and roll back whatever canary is deploying although no
//! code changed. They are counted like every refusal and logged with
//! `refusal = "account"`, which is what the alarm on refusals catches.
//!
//! Denied access (`AuthorizationError`, `AccessDenied`, KMS key errors) is
//! not a refusal: it is this stack's own set-up, which a deploy can break
//! and a rollback or a fix repairs, so the message is kept for a redrive.
//!
//! An opted-out phone number is no error at all: SNS accepts the `Publish`
//! and drops the message (only SNS's SMS delivery-status logs show it), so
//! it reaches this module never.

use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sns::operation::publish::PublishError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use orders_core::DeliveryError;

/// What a refusal is about: where an operator looks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This message: its recipient (an address or number the service will
    /// not send to) or its content.
    Message,
    /// The sender's set-up: an unverified identity or MAIL FROM domain, a
    /// configuration set that does not exist.
    Sender,
    /// The account may not send: paused or suspended.
    Account,
    /// A request the service will not take in any form.
    Request,
}

impl Refusal {
    /// The value of the `refusal` log field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Sender => "sender",
            Self::Account => "account",
            Self::Request => "request",
        }
    }
}

/// Why one channel did not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Refused for good: the same request gets the same answer.
    #[error("{op}: refused ({code}): {detail}")]
    Refused {
        op: &'static str,
        /// The service's error code.
        code: String,
        refusal: Refusal,
        /// The service's message, addresses masked.
        detail: String,
    },
    /// Throttled, a fault on the service's side, a timeout, an unreachable
    /// endpoint, or this stack's own access: worth failing the invocation
    /// for, so it is retried and then kept in the dead-letter queue.
    #[error("{op}: failed ({code}): {detail}")]
    Failed {
        op: &'static str,
        code: String,
        detail: String,
    },
}

impl SendError {
    /// Whether the same request can never succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Refused { .. })
    }

    /// The service's error code, or what stands for one (`Timeout`,
    /// `DispatchFailure`, `HTTP 503`).
    pub fn code(&self) -> &str {
        match self {
            Self::Refused { code, .. } | Self::Failed { code, .. } => code,
        }
    }

    /// The refusal's scope, if this is one.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Refused { refusal, .. } => Some(*refusal),
            Self::Failed { .. } => None,
        }
    }

    /// The same error with every occurrence of `secret` replaced by
    /// `masked` (services echo a bad address in their messages).
    pub(crate) fn redact(self, secret: &str, masked: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        match self {
            Self::Refused {
                op,
                code,
                refusal,
                detail,
            } => Self::Refused {
                op,
                code,
                refusal,
                detail: detail.replace(secret, masked),
            },
            Self::Failed { op, code, detail } => Self::Failed {
                op,
                code,
                detail: detail.replace(secret, masked),
            },
        }
    }

    /// A request this crate could not build (a bug, not the service's
    /// answer): failed, so it is noticed.
    pub(crate) fn unbuildable(op: &'static str, detail: impl ToString) -> Self {
        Self::Failed {
            op,
            code: "ConstructionFailure".into(),
            detail: detail.to_string(),
        }
    }
}

/// The refusal a `SendEmail` error is, if it is one, with the code SES v2
/// sends for it.
fn send_email_refusal(e: &SendEmailError) -> Option<(Refusal, &'static str)> {
    use SendEmailError as E;
    Some(match e {
        E::MessageRejected(_) => (Refusal::Message, "MessageRejected"),
        E::MailFromDomainNotVerifiedException(_) => {
            (Refusal::Sender, "MailFromDomainNotVerifiedException")
        }
        E::NotFoundException(_) => (Refusal::Sender, "NotFoundException"),
        E::AccountSuspendedException(_) => (Refusal::Account, "AccountSuspendedException"),
        E::SendingPausedException(_) => (Refusal::Account, "SendingPausedException"),
        E::BadRequestException(_) => (Refusal::Request, "BadRequestException"),
        // Rate and quota: the next second or day restores them.
        E::TooManyRequestsException(_) | E::LimitExceededException(_) => return None,
        _ => return None,
    })
}

/// The refusal an SNS `Publish` error is, if it is one, with the code SNS
/// sends for it.
fn publish_refusal(e: &PublishError) -> Option<(Refusal, &'static str)> {
    use PublishError as E;
    Some(match e {
        // An invalid or unsupported phone number, or attributes SNS will not
        // take with it.
        E::InvalidParameterException(_) => (Refusal::Message, "InvalidParameter"),
        E::InvalidParameterValueException(_) => (Refusal::Message, "ParameterValueInvalid"),
        E::EndpointDisabledException(_) => (Refusal::Message, "EndpointDisabled"),
        E::PlatformApplicationDisabledException(_) => {
            (Refusal::Message, "PlatformApplicationDisabled")
        }
        E::NotFoundException(_) => (Refusal::Message, "NotFound"),
        E::ValidationException(_) => (Refusal::Request, "ValidationException"),
        // Service faults and throttling pass; denied access and KMS key
        // problems are this stack's set-up, kept for a redrive.
        E::InternalErrorException(_)
        | E::KmsThrottlingException(_)
        | E::AuthorizationErrorException(_)
        | E::InvalidSecurityException(_)
        | E::KmsAccessDeniedException(_)
        | E::KmsDisabledException(_)
        | E::KmsInvalidStateException(_)
        | E::KmsNotFoundException(_)
        | E::KmsOptInRequired(_) => return None,
        _ => return None,
    })
}

/// What the logs may say of `err`: the service's own message for a service
/// error (the whole chain would also print the raw response, whose body
/// echoes the recipient in forms a redaction can miss), the chain otherwise
/// (a timeout, an unreachable endpoint: no body).
fn detail<E>(err: &SdkError<E, Response>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err.as_service_error() {
        Some(e) => e
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string()),
        None => DisplayErrorContext(err).to_string(),
    }
}

fn classify<E>(
    op: &'static str,
    err: &SdkError<E, Response>,
    refusal: impl FnOnce(&E) -> Option<(Refusal, &'static str)>,
) -> SendError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let Some((refusal, code)) = err.as_service_error().and_then(refusal) {
        let code = err
            .as_service_error()
            .and_then(|e| e.code())
            .unwrap_or(code)
            .to_string();
        return SendError::Refused {
            op,
            code,
            refusal,
            detail: detail(err),
        };
    }
    let failure = orders_aws_runtime::classify(op, err);
    SendError::Failed {
        op,
        code: failure.code,
        detail: detail(err),
    }
}

/// Reads a failed SES v2 `SendEmail`.
pub fn classify_send_email(err: &SdkError<SendEmailError, Response>) -> SendError {
    classify("SendEmail", err, send_email_refusal)
}

/// Reads a failed SNS `Publish` (an SMS to a phone number).
pub fn classify_publish(err: &SdkError<PublishError, Response>) -> SendError {
    classify("Publish", err, publish_refusal)
}

/// What the notifier reports when no channel sent: failed if any channel
/// may pass on a retry (a retry sends on every channel again, and none went
/// out), else rejected with the codes of every channel, in order.
pub(crate) fn delivery_error<'a>(
    failed: impl IntoIterator<Item = (&'a str, &'a SendError)>,
) -> DeliveryError {
    let failed: Vec<(&str, &SendError)> = failed.into_iter().collect();
    let detail = failed
        .iter()
        .map(|(channel, e)| format!("{channel}: {e}"))
        .collect::<Vec<_>>()
        .join("; ");
    if failed.iter().all(|(_, e)| e.is_permanent()) && !failed.is_empty() {
        let codes = failed
            .iter()
            .map(|(_, e)| e.code())
            .collect::<Vec<_>>()
            .join(",");
        DeliveryError::rejected(codes, detail)
    } else {
        DeliveryError::Unavailable(detail)
    }
}

#[cfg(test)]
mod tests;
