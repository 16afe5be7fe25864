import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { OrderSaga } from './order-saga';
import { KEY_PREFIXES, type OrdersTable } from './orders-table';
import { RustLambda } from './rust-lambda';

export interface OrderProcessorProps {
  readonly config: StageConfig;
  readonly table: OrdersTable;
  /** The processing queue the OrderCreated pipe fills. */
  readonly queue: IQueue;
  /** The saga the processor starts, one execution per order. */
  readonly saga: OrderSaga;
}

/**
 * The order processor (process-orders): takes OrderCreated events off the
 * processing queue in batches, moves each order PENDING to PROCESSING and
 * starts its saga.
 *
 * Not a construct level of its own: the function is created in `scope` (the
 * stack), so its logical IDs stay those of the deployed stacks.
 */
export class OrderProcessor {
  public readonly function: RustLambda;

  constructor(scope: Construct, props: OrderProcessorProps) {
    const { config, table, saga } = props;
    this.function = new RustLambda(scope, 'ProcessOrders', {
      binaryName: 'process-orders',
      description: 'Moves new orders PENDING to PROCESSING and starts their saga (SQS)',
      config,
      timeout: config.processor.timeout,
      environment: {
        ORDERS_TABLE_NAME: table.tableName,
        STATE_MACHINE_ARN: saga.stateMachineArn,
      },
    });
    this.function.addToRolePolicy(table.itemStatement('UpdateOrders', ['dynamodb:UpdateItem'], [KEY_PREFIXES.order]));
    this.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'StartSagaExecutions',
        actions: ['states:StartExecution'],
        resources: [saga.stateMachineArn],
      }),
    );
    // Queue consumption (receive, delete, change visibility, kms:Decrypt) is
    // granted by the event source mapping itself.
    this.function.alias.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.processor.batchSize,
        maxBatchingWindow: config.processor.maxBatchingWindow,
        maxConcurrency: config.processor.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
