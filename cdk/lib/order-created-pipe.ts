import { Aws } from 'aws-cdk-lib';
import { type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageConfig } from './config';
import type { OrderEventsKey } from './order-events-key';
import { CONTRACTS_DIR } from './paths';
import { DeadLetterQueue } from './processing-queue';

/** The input template that turns a stream record into an OrderCreated v1 event (shared with the Rust tests). */
export const ORDER_CREATED_TEMPLATE_PATH = join(CONTRACTS_DIR, 'events', 'order-created.v1.pipe-template.json');

/** The template as the pipe receives it (the file's trailing newline is not part of it). */
export function orderCreatedInputTemplate(): string {
  return readFileSync(ORDER_CREATED_TEMPLATE_PATH, 'utf8').trim();
}

/**
 * Only new orders become events: INSERTs of items whose sort key is `ORDER`
 * (idempotency records, `sk = IDEMPOTENCY`, and notification-ledger items,
 * `sk = NOTIFICATION`, share the table and stream).
 */
export const ORDER_INSERT_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { sk: { S: ['ORDER'] } } },
} as const;

/** Stream polling of the pipe (fixed in every stage). */
export const PIPE_SOURCE = {
  batchSize: 10,
  maximumBatchingWindowInSeconds: 1,
  maximumRetryAttempts: 10,
  /**
   * Records older than 12 hours go to the pipe's dead-letter queue instead of
   * being retried further: well inside the stream's 24-hour retention, so a
   * record is never trimmed from the stream without leaving a trace.
   */
  maximumRecordAgeInSeconds: 12 * 60 * 60,
} as const;

export interface OrderCreatedPipeProps {
  readonly config: StageConfig;
  /** The orders table; its stream is the source. */
  readonly table: ITable;
  /** The processing queue (target). */
  readonly target: IQueue;
  readonly key: OrderEventsKey;
}

/**
 * EventBridge Pipe: orders table stream (INSERTs of order items only) to the
 * processing queue, each record reshaped into an OrderCreated v1 event by the
 * input template in contracts/events. Stream batches that still fail after
 * the retries (or grow too old) are recorded in the pipe's own dead-letter
 * queue. ERROR-level logs (no execution data: events carry customer ids).
 */
export class OrderCreatedPipe extends Construct {
  public readonly pipe: CfnPipe;
  public readonly role: Role;
  public readonly deadLetterQueue: DeadLetterQueue;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: OrderCreatedPipeProps) {
    super(scope, id);
    const { config, table, target, key } = props;
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new Error('OrderCreatedPipe: the orders table has no stream');

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetter', { key: key.key });
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `Execution role of the OrderCreated pipe (${config.stageName})`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadOrdersStream',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'SendToProcessingQueueAndDeadLetterQueue',
        actions: ['sqs:SendMessage'],
        resources: [target.queueArn, this.deadLetterQueue.queue.queueArn],
      }),
    );
    this.role.addToPolicy(key.dataKeyStatement('EncryptQueueMessages'));
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: `Orders ${config.stageName}: new orders (stream INSERT, sk=ORDER) as OrderCreated v1 to the processing queue`,
      desiredState: 'RUNNING',
      roleArn: this.role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          ...PIPE_SOURCE,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: this.deadLetterQueue.queue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(ORDER_INSERT_FILTER) }] },
      },
      target: target.queueArn,
      targetParameters: { inputTemplate: orderCreatedInputTemplate() },
      logConfiguration: {
        level: 'ERROR',
        cloudwatchLogsLogDestination: { logGroupArn: this.logGroup.logGroupArn },
      },
    });
    // The pipe validates its role on creation: create the policy first.
    this.pipe.node.addDependency(this.role);
  }
}
