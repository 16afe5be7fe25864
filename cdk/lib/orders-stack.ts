import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';
import { AliasDeployments } from './alias-deployments';
import { ApiFunctions } from './api-functions';
import { CustomerNotifier } from './customer-notifier';
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
import { OrderProcessor } from './order-processor';
import { OrdersTable } from './orders-table';
import { type DeadLetterQueue, ProcessingQueue } from './processing-queue';
import type { RustLambda } from './rust-lambda';
import { SagaFunctions } from './saga-functions';
import { StockSeed } from './stock-seed';

export interface OrdersStackProps extends StackProps {
  readonly config: StageConfig;
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
    const apiFunctions = new ApiFunctions(this, { config, table: this.table });
    this.createOrder = apiFunctions.createOrder;
    this.getOrder = apiFunctions.getOrder;
    this.listOrders = apiFunctions.listOrders;
    this.cancelOrder = apiFunctions.cancelOrder;

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

    this.processOrders = new OrderProcessor(this, {
      config,
      table: this.table,
      queue: this.processingQueue.queue,
      saga: this.saga,
    }).function;
    const notifier = new CustomerNotifier(this, {
      config,
      table: this.table,
      notifications: this.notifications,
      eventsKey: this.eventsKey,
    });
    this.notifyCustomer = notifier.function;
    this.notifierDeadLetterQueue = notifier.deadLetterQueue;

    this.api = new OrdersApi(this, 'Api', { config, functions: apiFunctions.aliases });

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
