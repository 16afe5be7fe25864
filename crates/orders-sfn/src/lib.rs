//! [`WorkflowStarter`] on Step Functions: one execution per order, named
//! after the order id, so a repeated start is recognised. The AWS adapter of
//! the port whose local stand-in is `orders-local-sfn`; its client is built
//! from the Lambda environment by `orders-aws-runtime` (no `aws-config`).

use async_trait::async_trait;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use orders_aws_runtime::{classify, var, AwsEnv, MissingEnv, SdkFailure};
use orders_core::ports::{StartOutcome, WorkflowStarter};
use orders_core::usecases::saga::saga_input;
use orders_core::DeliveryError;
use uuid::Uuid;

/// Environment variable holding the saga's state machine ARN (contracts/functions.json).
pub const STATE_MACHINE_ARN_ENV: &str = orders_core::contract::env::STATE_MACHINE_ARN;

/// Starts the order saga. Standard workflows refuse a second execution of
/// the same name with `ExecutionAlreadyExists`, which is a success here;
/// Express workflows do not check names (at least once), which the saga's
/// idempotent steps make harmless.
#[derive(Debug, Clone)]
pub struct SfnStarter {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl SfnStarter {
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }

    /// The starter for `STATE_MACHINE_ARN`, with a client from [`AwsEnv::from_env`].
    pub fn from_env() -> Result<Self, SfnError> {
        let arn = var(STATE_MACHINE_ARN_ENV).ok_or(SfnError::MissingEnv(STATE_MACHINE_ARN_ENV))?;
        let client = aws_sdk_sfn::Client::new(&AwsEnv::from_env()?.sdk_config());
        Ok(Self::new(client, arn))
    }

    pub async fn start(&self, order_id: Uuid) -> Result<StartOutcome, SfnError> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(order_id.to_string())
            .input(saga_input(order_id).to_string())
            .send()
            .await;
        match result {
            Ok(out) => {
                tracing::info!(order_id = %order_id, execution_arn = out.execution_arn(), "saga started");
                Ok(StartOutcome::Started)
            }
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StartExecutionError::ExecutionAlreadyExists(_))
                ) =>
            {
                tracing::info!(order_id = %order_id, "saga already started");
                Ok(StartOutcome::AlreadyStarted)
            }
            Err(e) => Err(classify("StartExecution", &e).into()),
        }
    }
}

#[async_trait]
impl WorkflowStarter for SfnStarter {
    async fn start_saga(&self, order_id: Uuid) -> Result<StartOutcome, DeliveryError> {
        self.start(order_id).await.map_err(|e| {
            tracing::warn!(order_id = %order_id, error = %e, "saga not started");
            e.into()
        })
    }
}

/// What building the starter or starting an execution can fail with. Its
/// text is the one the other AWS adapters write for the same failure
/// (`orders-aws-messaging`'s `MessagingError`), so logs read alike.
#[derive(Debug)]
pub enum SfnError {
    /// A required environment variable is missing or empty.
    MissingEnv(&'static str),
    /// The call failed, as `orders-aws-runtime` classifies SDK errors.
    Sdk(SdkFailure),
}

impl std::fmt::Display for SfnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingEnv(name) => write!(f, "{name} is not set"),
            Self::Sdk(e) if e.retryable => write!(
                f,
                "{}: service unavailable ({}): {}",
                e.op, e.code, e.detail
            ),
            Self::Sdk(e) => write!(f, "{}: rejected ({}): {}", e.op, e.code, e.detail),
        }
    }
}

impl std::error::Error for SfnError {}

impl From<MissingEnv> for SfnError {
    fn from(MissingEnv(name): MissingEnv) -> Self {
        Self::MissingEnv(name)
    }
}

impl From<SdkFailure> for SfnError {
    fn from(f: SdkFailure) -> Self {
        Self::Sdk(f)
    }
}

/// Retryable failures stay retryable (the queue redelivers the event); the
/// rest are refusals with the service's code.
impl From<SfnError> for DeliveryError {
    fn from(e: SfnError) -> Self {
        match &e {
            SfnError::Sdk(f) if f.retryable => DeliveryError::Unavailable(e.to_string()),
            SfnError::Sdk(f) => DeliveryError::rejected(f.code.clone(), e.to_string()),
            SfnError::MissingEnv(_) => DeliveryError::rejected("Unknown", e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_and_convert_as_the_other_adapters_do() {
        let failure = |retryable| SdkFailure {
            op: "StartExecution",
            code: "ThrottlingException".into(),
            detail: "slow down".into(),
            retryable,
        };
        let e = SfnError::from(failure(true));
        assert_eq!(
            e.to_string(),
            "StartExecution: service unavailable (ThrottlingException): slow down"
        );
        assert!(matches!(
            DeliveryError::from(e),
            DeliveryError::Unavailable(_)
        ));
        let e = SfnError::from(failure(false));
        assert_eq!(
            e.to_string(),
            "StartExecution: rejected (ThrottlingException): slow down"
        );
        assert!(matches!(
            DeliveryError::from(e),
            DeliveryError::Rejected { code, .. } if code == "ThrottlingException"
        ));
        let e = SfnError::MissingEnv(STATE_MACHINE_ARN_ENV);
        assert_eq!(e.to_string(), "STATE_MACHINE_ARN is not set");
        assert!(matches!(
            DeliveryError::from(e),
            DeliveryError::Rejected { code, .. } if code == "Unknown"
        ));
    }
}
