import { ArnFormat, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { NotificationsTopic } from './notifications-topic';
import { OrderCreatedPipe } from './order-created-pipe';
import { OrderEventsKey } from './order-events-key';
import { OrdersApi } from './orders-api';
import { BY_CREATED_AT_INDEX, BY_STATUS_INDEX, OrdersTable } from './orders-table';
import { type DeadLetterQueue, ProcessingQueue } from './processing-queue';
import { RustLambda } from './rust-lambda';

export interface OrdersStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Key prefix of idempotency records (docs/data-model.md). */
export const IDEMPOTENCY_KEY_PREFIX = 'IDEMPOTENCY#';
/** Key prefix of order items (`pk = ORDER#<orderId>`, `sk = ORDER`). */
export const ORDER_KEY_PREFIX = 'ORDER#';
/** Key prefix of the notifier's send ledger (`pk = NOTIFICATION#<orderId>#<STATUS>`, `sk = NOTIFICATION`). */
export const NOTIFICATION_KEY_PREFIX = 'NOTIFICATION#';

/** Restricts DynamoDB item actions to partition keys starting with `prefix`. */
function leadingKeys(prefix: string): Record<string, unknown> {
  return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } };
}

/** The domain of an e-mail address (`orders@example.com` -> `example.com`). */
export function emailDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new Error(`not an e-mail address: ${address}`);
  return address.slice(at + 1);
}

/** Everything one stage of the Orders service runs on. */
export class OrdersStack extends Stack {
  public readonly table: OrdersTable;
  public readonly createOrder: RustLambda;
  public readonly getOrder: RustLambda;
  public readonly listOrders: RustLambda;
  public readonly cancelOrder: RustLambda;
  public readonly processOrders: RustLambda;
  public readonly notifyCustomer: RustLambda;
  public readonly eventsKey: OrderEventsKey;
  public readonly processingQueue: ProcessingQueue;
  public readonly notifications: NotificationsTopic;
  public readonly notifierDeadLetterQueue: DeadLetterQueue;
  public readonly orderCreatedPipe: OrderCreatedPipe;
  public readonly api: OrdersApi;

  constructor(scope: Construct, id: string, props: OrdersStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new OrdersTable(this, 'Orders', { config });
    const environment = {
      ORDERS_TABLE_NAME: this.table.tableName,
      // The functions answer CORS on actual responses; the gateway answers preflight.
      ALLOWED_ORIGINS: config.api.corsAllowOrigins.join(','),
    };

    this.createOrder = new RustLambda(this, 'CreateOrder', {
      binaryName: 'create-order',
      description: 'POST /orders',
      config,
      environment,
    });
    this.getOrder = new RustLambda(this, 'GetOrder', {
      binaryName: 'get-order',
      description: 'GET /orders/{orderId}',
      config,
      environment,
    });
    this.listOrders = new RustLambda(this, 'ListOrders', {
      binaryName: 'list-orders',
      description: 'GET /orders',
      config,
      environment,
    });

    // Least privilege, spelled out (no grant* helpers).
    // create-order writes the order and, with Idempotency-Key, the record in one
    // TransactWriteItems; DynamoDB authorises each transactional Put as PutItem.
    this.createOrder.addToRolePolicy(
      new PolicyStatement({
        sid: 'PutOrdersAndIdempotencyRecords',
        actions: ['dynamodb:PutItem'],
        resources: [this.table.tableArn],
      }),
    );
    // On a cancelled transaction it reads the idempotency record, and only that.
    this.createOrder.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadIdempotencyRecords',
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${IDEMPOTENCY_KEY_PREFIX}*`] },
        },
      }),
    );
    this.getOrder.addToRolePolicy(
      new PolicyStatement({
        sid: 'GetOrders',
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
      }),
    );
    this.listOrders.addToRolePolicy(
      new PolicyStatement({
        sid: 'QueryOrderIndexes',
        actions: ['dynamodb:Query'],
        resources: [this.table.indexArn(BY_STATUS_INDEX), this.table.indexArn(BY_CREATED_AT_INDEX)],
      }),
    );

    // Asynchronous side: stream -> pipe -> processing queue -> processor -> topic -> notifier.
    this.eventsKey = new OrderEventsKey(this, 'EventsKey', { config });
    this.processingQueue = new ProcessingQueue(this, 'Processing', { config, key: this.eventsKey.key });
    this.notifications = new NotificationsTopic(this, 'Notifications', { config, key: this.eventsKey.key });
    this.orderCreatedPipe = new OrderCreatedPipe(this, 'OrderCreatedPipe', {
      config,
      table: this.table.table,
      target: this.processingQueue.queue,
      key: this.eventsKey,
    });

    const publishStatusChanges = (fn: RustLambda): void => {
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'PublishNotifications',
          actions: ['sns:Publish'],
          resources: [this.notifications.topicArn],
        }),
      );
      // Publishing to a KMS-encrypted topic needs the key.
      fn.addToRolePolicy(this.eventsKey.dataKeyStatement('EncryptNotifications'));
    };
    const updateOrders = (fn: RustLambda): void => {
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'UpdateOrders',
          actions: ['dynamodb:UpdateItem'],
          resources: [this.table.tableArn],
          conditions: leadingKeys(ORDER_KEY_PREFIX),
        }),
      );
    };

    this.cancelOrder = new RustLambda(this, 'CancelOrder', {
      binaryName: 'cancel-order',
      description: 'POST /orders/{orderId}/cancel',
      config,
      environment: {
        ...environment,
        NOTIFICATIONS_TOPIC_ARN: this.notifications.topicArn,
      },
    });
    updateOrders(this.cancelOrder);
    publishStatusChanges(this.cancelOrder);

    this.processOrders = new RustLambda(this, 'ProcessOrders', {
      binaryName: 'process-orders',
      description: 'Moves new orders PENDING to PROCESSING (SQS)',
      config,
      timeout: config.processor.timeout,
      environment: {
        ORDERS_TABLE_NAME: this.table.tableName,
        NOTIFICATIONS_TOPIC_ARN: this.notifications.topicArn,
      },
    });
    updateOrders(this.processOrders);
    publishStatusChanges(this.processOrders);
    // Queue consumption (receive, delete, change visibility, kms:Decrypt) is
    // granted by the event source mapping itself.
    this.processOrders.alias.addEventSource(
      new SqsEventSource(this.processingQueue.queue, {
        batchSize: config.processor.batchSize,
        maxBatchingWindow: config.processor.maxBatchingWindow,
        maxConcurrency: config.processor.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    const { emailSender, smsEnabled } = config.notifications;
    this.notifyCustomer = new RustLambda(this, 'NotifyCustomer', {
      binaryName: 'notify-customer',
      description: 'Sends customer notifications per status (SNS)',
      config,
      environment: {
        ORDERS_TABLE_NAME: this.table.tableName,
        ...(emailSender === undefined ? {} : { EMAIL_SENDER: emailSender }),
        SMS_ENABLED: String(smsEnabled),
      },
    });
    this.notifyCustomer.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadOrders',
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: leadingKeys(ORDER_KEY_PREFIX),
      }),
    );
    this.notifyCustomer.addToRolePolicy(
      new PolicyStatement({
        sid: 'WriteNotificationLedger',
        actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: leadingKeys(NOTIFICATION_KEY_PREFIX),
      }),
    );
    if (emailSender !== undefined) {
      const identity = (name: string) =>
        this.formatArn({ service: 'ses', resource: 'identity', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
      this.notifyCustomer.addToRolePolicy(
        new PolicyStatement({
          sid: 'SendEmailAsOrdersSender',
          actions: ['ses:SendEmail'],
          resources: [identity(emailDomain(emailSender)), identity(emailSender)],
          conditions: { StringEquals: { 'ses:FromAddress': emailSender } },
        }),
      );
    }
    if (smsEnabled) {
      this.notifyCustomer.addToRolePolicy(
        new PolicyStatement({
          sid: 'SendSms',
          actions: ['sns:Publish'],
          // SMS to a phone number has no resource ARN (see the IAM5 acknowledgement).
          resources: ['*'],
        }),
      );
    }
    this.notifierDeadLetterQueue = this.notifications.subscribeToStatusChanges('Notifier', this.notifyCustomer.alias);
    // SNS invokes the notifier asynchronously: Lambda retries a failed
    // invocation twice, then would drop the event. It goes to the same
    // dead-letter queue instead (docs/operations.md). Lambda sends it with the
    // function's role, hence the two statements.
    const notifierFn = this.notifyCustomer.function.node.defaultChild as CfnFunction;
    notifierFn.deadLetterConfig = { targetArn: this.notifierDeadLetterQueue.queue.queueArn };
    this.notifyCustomer.addToRolePolicy(
      new PolicyStatement({
        sid: 'DeadLetterFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [this.notifierDeadLetterQueue.queue.queueArn],
      }),
    );
    this.notifyCustomer.addToRolePolicy(this.eventsKey.dataKeyStatement('EncryptDeadLetters'));

    this.api = new OrdersApi(this, 'Api', {
      config,
      createOrder: this.createOrder.alias,
      getOrder: this.getOrder.alias,
      listOrders: this.listOrders.alias,
      cancelOrder: this.cancelOrder.alias,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Orders REST API stage' });
    new CfnOutput(this, 'ApiKeyId', {
      value: this.api.apiKey.keyId,
      description: 'Id of the default API key (aws apigateway get-api-key --include-value --api-key <id>)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'Orders DynamoDB table' });
    new CfnOutput(this, 'ProcessingQueueUrl', {
      value: this.processingQueue.queue.queueUrl,
      description: 'Processing queue (OrderCreated v1 events from the pipe to process-orders)',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.processingQueue.deadLetterQueue.queue.queueUrl,
      description: 'Dead-letter queue of the processing queue (OrderCreated events received 3 times without success); redrive to ProcessingQueueUrl',
    });
    new CfnOutput(this, 'PipeDeadLetterQueueUrl', {
      value: this.orderCreatedPipe.deadLetterQueue.queue.queueUrl,
      description: 'Dead-letter queue of the OrderCreated pipe (stream batch metadata, not events)',
    });
    new CfnOutput(this, 'NotificationsDeadLetterQueueUrl', {
      value: this.notifierDeadLetterQueue.queue.queueUrl,
      description: 'Dead-letter queue of the notify-customer subscription (SNS messages SNS could not deliver)',
    });
    new CfnOutput(this, 'NotificationsTopicArn', {
      value: this.notifications.topicArn,
      description: 'Notifications topic (OrderStatusChanged v1, message attribute eventType)',
    });

    acknowledgeNagFindings(this, config);
  }
}

/**
 * cdk-nag AwsSolutions findings this design accepts, each with its reason
 * (docs/cdk.md lists them). Everything else must be fixed, not acknowledged.
 */
function acknowledgeNagFindings(stack: OrdersStack, config: StageConfig): void {
  const xrayOnly =
    'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource "*": X-Ray has no resource-level permissions for them. All other statements name their resources.';
  for (const fn of [stack.createOrder, stack.getOrder, stack.listOrders, stack.cancelOrder, stack.processOrders]) {
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
  for (const dlq of [stack.orderCreatedPipe.deadLetterQueue, stack.notifierDeadLetterQueue]) {
    Validations.of(dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is a dead-letter queue (of the OrderCreated pipe or of the notifier subscription), referenced by the pipe DeadLetterConfig / subscription RedrivePolicy, which cdk-nag does not recognise. A DLQ of a DLQ would only move the problem.',
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
        'Execution logging needs the account-wide API Gateway CloudWatch Logs role (account setup outside this app). JSON access logs (incl. validation errors) and X-Ray tracing are on in every stage.',
    },
  );
  if (!config.pointInTimeRecovery) {
    Validations.of(stack.table.table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: `Point-in-time recovery is enabled in prod only; ${config.stageName} data is disposable test data.`,
    });
  }
}
