import { Annotations, ArnFormat, Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { AliasDeployments } from './alias-deployments';
import { acknowledgeNagFindings } from './nag-acknowledgements';
import { NotificationsTopic } from './notifications-topic';
import {
  ORDER_CREATED_TEMPLATE_PATH,
  ORDER_INSERT_FILTER,
  ORDER_STATUS_CHANGE_FILTER,
  ORDER_STATUS_CHANGED_TEMPLATE_PATH,
  OrderEventsPipe,
  queueTarget,
  topicTarget,
} from './order-events-pipe';
import { OrderEventsKey } from './order-events-key';
import { OrderSaga } from './order-saga';
import { OrdersApi } from './orders-api';
import { OrdersMonitoring } from './orders-monitoring';
import { OpsTopic } from './ops-topic';
import { BY_CREATED_AT_INDEX, BY_STATUS_INDEX, KEY_PREFIXES, OrdersTable } from './orders-table';
import { type DeadLetterQueue, ProcessingQueue } from './processing-queue';
import { RustLambda } from './rust-lambda';
import { SagaFunctions } from './saga-functions';
import { StockSeed } from './stock-seed';

export interface OrdersStackProps extends StackProps {
  readonly config: StageConfig;
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
  public readonly orderCreatedPipe: OrderEventsPipe;
  public readonly orderStatusChangedPipe: OrderEventsPipe;
  public readonly sagaFunctions: SagaFunctions;
  public readonly saga: OrderSaga;
  public readonly stockSeed?: StockSeed;
  public readonly api: OrdersApi;
  public readonly opsTopic: OpsTopic;
  public readonly deployments: AliasDeployments;
  public readonly monitoring: OrdersMonitoring;

  /** Every Rust function of the stage (each a `live` alias CodeDeploy shifts). */
  public get rustFunctions(): RustLambda[] {
    return [
      this.createOrder,
      this.getOrder,
      this.listOrders,
      this.cancelOrder,
      this.processOrders,
      this.notifyCustomer,
      ...this.sagaFunctions.all,
    ];
  }

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

    // Least privilege, spelled out (no grant* helpers), every item grant on
    // the key prefixes the function owns (contracts/table-keys.json).
    // create-order writes the order and, with Idempotency-Key, the record in one
    // TransactWriteItems; DynamoDB authorises each transactional Put as PutItem.
    this.createOrder.addToRolePolicy(
      this.table.itemStatement('PutOrdersAndIdempotencyRecords', ['dynamodb:PutItem'], [KEY_PREFIXES.order, KEY_PREFIXES.idempotency]),
    );
    // On a cancelled transaction it reads the idempotency record, and only that.
    this.createOrder.addToRolePolicy(
      this.table.itemStatement('ReadIdempotencyRecords', ['dynamodb:GetItem'], [KEY_PREFIXES.idempotency]),
    );
    this.getOrder.addToRolePolicy(this.table.itemStatement('GetOrders', ['dynamodb:GetItem'], [KEY_PREFIXES.order]));
    this.listOrders.addToRolePolicy(this.table.indexQueryStatement('QueryOrderIndexes', [BY_STATUS_INDEX, BY_CREATED_AT_INDEX]));

    // Asynchronous side: the table's stream feeds two pipes (a DynamoDB stream
    // serves at most two readers per shard: these are the two). New orders go
    // to the processing queue -> processor -> saga; every status change (the
    // `statusEvent` its transition wrote) goes to the notifications topic -> notifier.
    this.eventsKey = new OrderEventsKey(this, 'EventsKey', { config });
    this.processingQueue = new ProcessingQueue(this, 'Processing', { config, key: this.eventsKey.key });
    this.notifications = new NotificationsTopic(this, 'Notifications', { config, key: this.eventsKey.key });
    this.orderCreatedPipe = new OrderEventsPipe(this, 'OrderCreatedPipe', {
      config,
      table: this.table.table,
      key: this.eventsKey,
      eventType: 'OrderCreated',
      description: 'new orders (stream INSERT, sk=ORDER) as OrderCreated v1 to the processing queue',
      filter: ORDER_INSERT_FILTER,
      templatePath: ORDER_CREATED_TEMPLATE_PATH,
      target: queueTarget(this.processingQueue.queue),
    });
    this.orderStatusChangedPipe = new OrderEventsPipe(this, 'OrderStatusChangedPipe', {
      config,
      table: this.table.table,
      key: this.eventsKey,
      eventType: 'OrderStatusChanged',
      description: 'status changes (stream MODIFY, sk=ORDER, with statusEvent) as OrderStatusChanged v1 to the notifications topic',
      filter: ORDER_STATUS_CHANGE_FILTER,
      templatePath: ORDER_STATUS_CHANGED_TEMPLATE_PATH,
      target: topicTarget(this.notifications.topic),
    });

    const updateOrders = (fn: RustLambda): void => {
      fn.addToRolePolicy(this.table.itemStatement('UpdateOrders', ['dynamodb:UpdateItem'], [KEY_PREFIXES.order]));
    };

    // Its CANCELLED event comes from the stream (the status-change pipe).
    this.cancelOrder = new RustLambda(this, 'CancelOrder', {
      binaryName: 'cancel-order',
      description: 'POST /orders/{orderId}/cancel',
      config,
      environment,
    });
    updateOrders(this.cancelOrder);

    // The saga: payments, inventory, settle-order, and the state machine.
    this.sagaFunctions = new SagaFunctions(this, 'SagaFunctions', { config, table: this.table });
    this.saga = new OrderSaga(this, 'Saga', {
      config,
      payments: this.sagaFunctions.payments.alias,
      inventory: this.sagaFunctions.inventory.alias,
      settleOrder: this.sagaFunctions.settleOrder.alias,
    });
    if (config.workflow.seedStock) {
      this.stockSeed = new StockSeed(this, 'StockSeed', { config, table: this.table });
    }

    this.processOrders = new RustLambda(this, 'ProcessOrders', {
      binaryName: 'process-orders',
      description: 'Moves new orders PENDING to PROCESSING and starts their saga (SQS)',
      config,
      timeout: config.processor.timeout,
      environment: {
        ORDERS_TABLE_NAME: this.table.tableName,
        STATE_MACHINE_ARN: this.saga.stateMachineArn,
      },
    });
    updateOrders(this.processOrders);
    this.processOrders.addToRolePolicy(
      new PolicyStatement({
        sid: 'StartSagaExecutions',
        actions: ['states:StartExecution'],
        resources: [this.saga.stateMachineArn],
      }),
    );
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
    this.notifyCustomer.addToRolePolicy(this.table.itemStatement('ReadOrders', ['dynamodb:GetItem'], [KEY_PREFIXES.order]));
    this.notifyCustomer.addToRolePolicy(
      this.table.itemStatement('WriteNotificationLedger', ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [KEY_PREFIXES.notification]),
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
      // Publishing to a phone number has no resource ARN, so the Allow names
      // "*" (see the IAM5 acknowledgement); the Deny keeps every SNS ARN
      // (topics, including the encrypted order topics, and platform
      // endpoints of any account) out of it: SMS to phone numbers only.
      this.notifyCustomer.addToRolePolicy(new PolicyStatement({ sid: 'SendSms', actions: ['sns:Publish'], resources: ['*'] }));
      this.notifyCustomer.addToRolePolicy(
        new PolicyStatement({
          sid: 'SmsOnlyNoTopicsOrEndpoints',
          effect: Effect.DENY,
          actions: ['sns:Publish'],
          resources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
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
    // The queue is encrypted with the events key; the function sends with its
    // own role, through SQS only (it may send to no other queue).
    this.notifyCustomer.addToRolePolicy(this.eventsKey.dataKeyStatementViaService('EncryptDeadLetters', 'sqs'));

    this.api = new OrdersApi(this, 'Api', {
      config,
      createOrder: this.createOrder.alias,
      getOrder: this.getOrder.alias,
      listOrders: this.listOrders.alias,
      cancelOrder: this.cancelOrder.alias,
    });

    // Operations: canary releases of every `live` alias, alarms and the dashboard.
    this.opsTopic = new OpsTopic(this, 'Ops', { config, key: this.eventsKey });
    this.deployments = new AliasDeployments(this, 'Deployments', {
      config,
      functions: this.rustFunctions,
      opsTopic: this.opsTopic.topic,
    });
    this.monitoring = new OrdersMonitoring(this, 'Monitoring', {
      config,
      opsTopic: this.opsTopic.topic,
      functions: this.rustFunctions,
      api: this.api.restApi,
      processingQueue: this.processingQueue.queue,
      processingDeadLetterQueue: this.processingQueue.deadLetterQueue.queue,
      deadLetterQueues: [
        { name: 'notifier-dlq', queue: this.notifierDeadLetterQueue.queue },
        { name: 'order-created-pipe-dlq', queue: this.orderCreatedPipe.deadLetterQueue.queue },
        { name: 'status-pipe-dlq', queue: this.orderStatusChangedPipe.deadLetterQueue.queue },
      ],
      pipes: [
        { name: 'order-created-pipe', pipe: this.orderCreatedPipe.pipe },
        { name: 'status-pipe', pipe: this.orderStatusChangedPipe.pipe },
      ],
      notificationsTopic: this.notifications.topic,
      table: this.table.table,
      stateMachine: this.saga.stateMachine,
      rollbackAlarms: this.deployments.rollbackAlarms,
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
    new CfnOutput(this, 'StatusPipeDeadLetterQueueUrl', {
      value: this.orderStatusChangedPipe.deadLetterQueue.queue.queueUrl,
      description: 'Dead-letter queue of the OrderStatusChanged pipe (stream batch metadata, not events)',
    });
    new CfnOutput(this, 'StateMachineArn', {
      value: this.saga.stateMachineArn,
      description: `Order saga state machine (${config.workflow.type}; executions named after the order id)`,
    });
    new CfnOutput(this, 'NotificationsDeadLetterQueueUrl', {
      value: this.notifierDeadLetterQueue.queue.queueUrl,
      description: 'Dead-letter queue of the notify-customer subscription (SNS messages SNS could not deliver)',
    });
    new CfnOutput(this, 'OpsTopicArn', {
      value: this.opsTopic.topic.topicArn,
      description: 'Ops topic: every alarm of the stage notifies it (docs/operations.md)',
    });
    new CfnOutput(this, 'NotificationsTopicArn', {
      value: this.notifications.topicArn,
      description: 'Notifications topic (OrderStatusChanged v1 from the status-change pipe; subscriptions filter on the body eventType)',
    });

    if (config.unsetSettings.length > 0) {
      Annotations.of(this).addWarningV2(
        'orders:unset-stage-settings',
        `Offline synth without ${config.unsetSettings.join(', ')}: not deployable as is (docs/deploy.md, "Stage settings")`,
      );
    }

    acknowledgeNagFindings(this, config);
  }
}
