use super::*;
use aws_sdk_sesv2::types::error as ses;
use aws_sdk_sns::types::error as sns;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;

fn response(status: u16) -> Response {
    Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
}

fn ses_err(e: SendEmailError, status: u16) -> SdkError<SendEmailError, Response> {
    SdkError::service_error(e, response(status))
}

fn sns_err(e: PublishError, status: u16) -> SdkError<PublishError, Response> {
    SdkError::service_error(e, response(status))
}

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message("the service says no")
        .build()
}

fn refused(e: &SendError) -> Option<(&str, Refusal)> {
    match e {
        SendError::Refused { code, refusal, .. } => Some((code.as_str(), *refusal)),
        SendError::Failed { .. } => None,
    }
}

#[test]
fn ses_refusals_of_the_message_sender_and_account_are_permanent() {
    let cases = [
        (
            SendEmailError::MessageRejected(
                ses::MessageRejected::builder()
                    .message("Email address is not verified.")
                    .build(),
            ),
            "MessageRejected",
            Refusal::Message,
        ),
        (
            SendEmailError::MailFromDomainNotVerifiedException(
                ses::MailFromDomainNotVerifiedException::builder().build(),
            ),
            "MailFromDomainNotVerifiedException",
            Refusal::Sender,
        ),
        (
            SendEmailError::NotFoundException(ses::NotFoundException::builder().build()),
            "NotFoundException",
            Refusal::Sender,
        ),
        (
            SendEmailError::AccountSuspendedException(
                ses::AccountSuspendedException::builder().build(),
            ),
            "AccountSuspendedException",
            Refusal::Account,
        ),
        (
            SendEmailError::SendingPausedException(ses::SendingPausedException::builder().build()),
            "SendingPausedException",
            Refusal::Account,
        ),
        (
            SendEmailError::BadRequestException(ses::BadRequestException::builder().build()),
            "BadRequestException",
            Refusal::Request,
        ),
    ];
    for (e, code, refusal) in cases {
        let err = classify_send_email(&ses_err(e, 400));
        assert!(err.is_permanent(), "{err}");
        assert_eq!(refused(&err), Some((code, refusal)), "{err}");
        assert_eq!(err.code(), code);
        assert!(err.to_string().starts_with("SendEmail: refused ("), "{err}");
    }
}

#[test]
fn ses_rate_limits_faults_and_unmodelled_codes_fail_for_a_retry() {
    let cases = [
        (
            ses_err(
                SendEmailError::TooManyRequestsException(
                    ses::TooManyRequestsException::builder().build(),
                ),
                429,
            ),
            "HTTP 429",
        ),
        (
            ses_err(
                SendEmailError::LimitExceededException(
                    ses::LimitExceededException::builder()
                        .meta(meta("LimitExceededException"))
                        .build(),
                ),
                400,
            ),
            "LimitExceededException",
        ),
        // Not modelled by the SDK: a throttle, a fault, denied access.
        (
            ses_err(SendEmailError::generic(meta("Throttling")), 400),
            "Throttling",
        ),
        (
            ses_err(SendEmailError::generic(meta("InternalFailure")), 500),
            "InternalFailure",
        ),
        (
            ses_err(SendEmailError::generic(meta("AccessDeniedException")), 403),
            "AccessDeniedException",
        ),
        (SdkError::timeout_error("operation timed out"), "Timeout"),
        (
            SdkError::dispatch_failure(ConnectorError::io(
                std::io::Error::from(std::io::ErrorKind::ConnectionRefused).into(),
            )),
            "DispatchFailure",
        ),
    ];
    for (e, code) in cases {
        let err = classify_send_email(&e);
        assert!(!err.is_permanent(), "{err}");
        assert_eq!(err.refusal(), None);
        assert_eq!(err.code(), code, "{err}");
    }
}

#[test]
fn sns_invalid_numbers_are_permanent() {
    let cases = [
        (
            PublishError::InvalidParameterException(
                sns::InvalidParameterException::builder()
                    .message("Invalid parameter: PhoneNumber Reason: +1555 is not valid")
                    .meta(meta("InvalidParameter"))
                    .build(),
            ),
            "InvalidParameter",
            Refusal::Message,
        ),
        // Without the wire code (as constructed here), the API's name.
        (
            PublishError::InvalidParameterException(
                sns::InvalidParameterException::builder().build(),
            ),
            "InvalidParameter",
            Refusal::Message,
        ),
        (
            PublishError::InvalidParameterValueException(
                sns::InvalidParameterValueException::builder().build(),
            ),
            "ParameterValueInvalid",
            Refusal::Message,
        ),
        (
            PublishError::ValidationException(
                sns::ValidationException::builder()
                    .message("too long")
                    .build()
                    .unwrap(),
            ),
            "ValidationException",
            Refusal::Request,
        ),
    ];
    for (e, code, refusal) in cases {
        let err = classify_publish(&sns_err(e, 400));
        assert_eq!(refused(&err), Some((code, refusal)), "{err}");
    }
}

#[test]
fn sns_throttling_faults_and_denied_access_fail_for_a_retry() {
    let cases = [
        (
            sns_err(
                PublishError::InternalErrorException(
                    sns::InternalErrorException::builder().build(),
                ),
                500,
            ),
            "HTTP 500",
        ),
        (
            sns_err(PublishError::generic(meta("Throttling")), 400),
            "Throttling",
        ),
        (
            sns_err(
                PublishError::KmsThrottlingException(
                    sns::KmsThrottlingException::builder()
                        .meta(meta("KMSThrottling"))
                        .build(),
                ),
                400,
            ),
            "KMSThrottling",
        ),
        (
            sns_err(
                PublishError::AuthorizationErrorException(
                    sns::AuthorizationErrorException::builder()
                        .meta(meta("AuthorizationError"))
                        .build(),
                ),
                403,
            ),
            "AuthorizationError",
        ),
        (SdkError::timeout_error("operation timed out"), "Timeout"),
    ];
    for (e, code) in cases {
        let err = classify_publish(&e);
        assert!(!err.is_permanent(), "{err}");
        assert_eq!(err.code(), code, "{err}");
    }
}

#[test]
fn redaction_masks_echoed_addresses() {
    let e = classify_publish(&sns_err(
        PublishError::InvalidParameterException(
            sns::InvalidParameterException::builder()
                .message("Invalid parameter: PhoneNumber Reason: +14155550100 is not valid")
                .build(),
        ),
        400,
    ))
    .redact("+14155550100", "+*******0100");
    assert!(!e.to_string().contains("4155550100"), "{e}");
    assert!(e.to_string().contains("+*******0100"), "{e}");
    assert!(e.is_permanent());
}

#[test]
fn no_channel_sent_is_rejected_only_when_every_channel_was_refused() {
    let refused = |code: &str| SendError::Refused {
        op: "SendEmail",
        code: code.into(),
        refusal: Refusal::Message,
        detail: "no".into(),
    };
    let failed = SendError::Failed {
        op: "Publish",
        code: "Throttling".into(),
        detail: "slow down".into(),
    };
    let (a, b) = (refused("MessageRejected"), refused("InvalidParameter"));
    match delivery_error([("email", &a), ("sms", &b)]) {
        DeliveryError::Rejected { code, detail } => {
            assert_eq!(code, "MessageRejected,InvalidParameter");
            assert!(detail.starts_with("email: SendEmail: refused"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        delivery_error([("email", &a), ("sms", &failed)]),
        DeliveryError::Unavailable(d) if d.contains("Throttling")
    ));
    assert!(matches!(delivery_error([]), DeliveryError::Unavailable(_)));
}
