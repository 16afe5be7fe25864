import { Validations } from 'aws-cdk-lib';
import { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import type { StageConfig } from './config';
import type { OrderEventsPipe } from './order-events-pipe';
import type { OrderSaga } from './order-saga';
import type { OrdersApi } from './orders-api';
import type { OrdersTable } from './orders-table';
import type { DeadLetterQueue } from './processing-queue';
import type { RustLambda } from './rust-lambda';

/** The parts of a stage's stack that carry acknowledged findings. */
export interface NagSubjects {
  readonly rustFunctions: readonly RustLambda[];
  readonly notifyCustomer: RustLambda;
  readonly orderCreatedPipe: OrderEventsPipe;
  readonly orderStatusChangedPipe: OrderEventsPipe;
  readonly notifierDeadLetterQueue: DeadLetterQueue;
  readonly saga: OrderSaga;
  readonly api: OrdersApi;
  readonly table: OrdersTable;
}

/**
 * cdk-nag AwsSolutions findings this design accepts, each with its reason
 * (docs/cdk.md lists them). Everything else must be fixed, not acknowledged.
 */
export function acknowledgeNagFindings(stack: NagSubjects, config: StageConfig): void {
  const xrayOnly =
    'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource "*": X-Ray has no resource-level permissions for them. All other statements name their resources.';
  for (const fn of stack.rustFunctions.filter((f) => f !== stack.notifyCustomer)) {
    Validations.of(fn.role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: xrayOnly });
  }
  Validations.of(stack.notifyCustomer.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: config.notifications.smsEnabled
      ? 'Resource "*" for X-Ray (no resource-level permissions) and for sns:Publish: SMS is published to a phone number, which has no resource ARN, so IAM cannot name it. All other statements name their resources.'
      : xrayOnly,
  });
  // The notifier subscription lives under the alias it targets (LambdaSubscription).
  Validations.of(stack.notifyCustomer.alias).acknowledge({
    id: 'CloudFormation-Validate::W3694',
    reason:
      'The SNS subscription endpoint is the function\'s `live` alias on purpose: SNS invokes qualified Lambda ARNs (alias), so deployments shift notifications with the alias like every other trigger.',
  });
  const deadLetterQueues = [
    stack.orderCreatedPipe.deadLetterQueue,
    stack.orderStatusChangedPipe.deadLetterQueue,
    stack.notifierDeadLetterQueue,
  ];
  for (const dlq of deadLetterQueues) {
    Validations.of(dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is a dead-letter queue (of a stream pipe or of the notifier subscription), referenced by the pipe DeadLetterConfig / subscription RedrivePolicy, which cdk-nag does not recognise. A DLQ of a DLQ would only move the problem.',
    });
  }
  Validations.of(stack.saga.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Resource "*" only for what has no resource-level permissions: X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and CloudWatch Logs log delivery (CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups), which Step Functions needs to log. Lambda invocation names the three aliases.',
  });
  if (config.workflow.logLevel !== LogLevel.ALL) {
    Validations.of(stack.saga.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason: `The ${config.stageName} saga logs ERROR only, without execution data (docs/workflow.md): ALL would log every state transition of every order (cost at volume, and state inputs carry order data). dev logs ALL with execution data.`,
    });
  }
  for (const method of stack.api.methods) {
    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Callers are services identified by API keys (apiKeyRequired on every method) under a usage plan with throttle and quota, per the design. A Cognito/IAM authorizer is not part of this API.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'No Cognito user pool: clients are services using API keys (see AwsSolutions-APIG4).',
      },
    );
  }
  Validations.of(stack.api.restApi.deploymentStage).acknowledge(
    {
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL yet: every method requires an API key and the usage plan throttles and caps each key. A WAF belongs to the edge/security work, not this stack.',
    },
    {
      id: 'AwsSolutions-APIG6',
      reason:
        'Execution logging is off by choice: JSON access logs (status, error message, latency per request) and X-Ray tracing are on in every stage. Execution logs would go to a log group API Gateway creates itself, without retention. The account CloudWatch role that access logs and execution logs both need comes from the Orders-account stack.',
    },
  );
  if (!config.pointInTimeRecovery) {
    Validations.of(stack.table.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: `Point-in-time recovery is enabled in prod only; ${config.stageName} data is disposable test data.`,
    });
  }
}
