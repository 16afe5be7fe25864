//! [`WorkflowStarter`] on Step Functions: one execution per order, named
//! after the order id, so a repeated start is recognised.

use crate::classify::classify;
use crate::config::sfn_client;
use crate::MessagingError;
use async_trait::async_trait;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use orders_aws_runtime::{var, AwsEnv};
use orders_core::ports::{StartOutcome, WorkflowStarter};
use orders_core::usecases::saga::saga_input;
use orders_core::DeliveryError;
use uuid::Uuid;

/// Environment variable holding the saga's state machine ARN (set by the CDK stack).
pub const STATE_MACHINE_ARN_ENV: &str = "STATE_MACHINE_ARN";

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
    pub fn from_env() -> Result<Self, MessagingError> {
        let arn =
            var(STATE_MACHINE_ARN_ENV).ok_or(MessagingError::MissingEnv(STATE_MACHINE_ARN_ENV))?;
        Ok(Self::new(sfn_client(&AwsEnv::from_env()?), arn))
    }

    pub async fn start(&self, order_id: Uuid) -> Result<StartOutcome, MessagingError> {
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
            Err(e) => Err(classify("StartExecution", &e)),
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
