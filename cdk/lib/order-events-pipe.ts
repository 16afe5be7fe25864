import { Aws } from 'aws-cdk-lib';
import { type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
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
/**
 * The input template of status changes: the order item's `statusEvent`, the
 * OrderStatusChanged v1 JSON the store writes with every transition.
 */
export const ORDER_STATUS_CHANGED_TEMPLATE_PATH = join(CONTRACTS_DIR, 'events', 'order-status-changed.v1.pipe-template.json');

/** A template as the pipe receives it (the file's trailing newline is not part of it). */
export function pipeInputTemplate(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

/**
 * Only new orders become OrderCreated events: INSERTs of items whose sort key
 * is `ORDER` (idempotency records, `sk = IDEMPOTENCY`, notification-ledger
 * items, `sk = NOTIFICATION`, payments, stock and reservations share the
 * table and stream).
 */
export const ORDER_INSERT_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { sk: { S: ['ORDER'] } } },
} as const;

/**
 * Only status changes become OrderStatusChanged events: MODIFYs of order
 * items whose new image carries the `statusEvent` the conditional
 * transition writes (an order's INSERT is the OrderCreated event, never a
 * status change).
 */
export const ORDER_STATUS_CHANGE_FILTER = {
  eventName: ['MODIFY'],
  dynamodb: { Keys: { sk: { S: ['ORDER'] } }, NewImage: { statusEvent: { S: [{ exists: true }] } } },
} as const;

/** Stream polling of every pipe (fixed in every stage). */
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

/** Where a pipe delivers, and the statement that lets its role deliver there. */
export interface PipeTarget {
  readonly arn: string;
  readonly deliverStatement: PolicyStatement;
}

/** An SQS queue as pipe target (`sqs:SendMessage` on it). */
export function queueTarget(queue: IQueue): PipeTarget {
  return {
    arn: queue.queueArn,
    deliverStatement: new PolicyStatement({ sid: 'SendToTargetQueue', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
  };
}

/** An SNS topic as pipe target (`sns:Publish` on it). Pipes sets no message attributes. */
export function topicTarget(topic: ITopic): PipeTarget {
  return {
    arn: topic.topicArn,
    deliverStatement: new PolicyStatement({ sid: 'PublishToTargetTopic', actions: ['sns:Publish'], resources: [topic.topicArn] }),
  };
}

export interface OrderEventsPipeProps {
  readonly config: StageConfig;
  /** The orders table; its stream is the source. */
  readonly table: ITable;
  /** Which stream records pass (an EventBridge event pattern). */
  readonly filter: object;
  /** The input template file (contracts/events/*.pipe-template.json). */
  readonly templatePath: string;
  readonly target: PipeTarget;
  /** The order events key: the target, and the pipe's DLQ, are encrypted with it. */
  readonly key: OrderEventsKey;
  /** The event type the pipe produces (role description). */
  readonly eventType: string;
  readonly description: string;
}

/**
 * EventBridge Pipe: orders table stream (records passing `filter`) to a
 * queue or topic, each record reshaped into an event by an input template in
 * contracts/events. Stream batches that still fail after the retries (or
 * grow too old) are recorded in the pipe's own dead-letter queue.
 * ERROR-level logs (no execution data: events carry customer ids).
 *
 * A DynamoDB stream serves at most two simultaneous readers per shard: the
 * OrderCreated and OrderStatusChanged pipes are the two. A third consumer
 * must subscribe downstream (the queue or topic), not to the stream.
 */
export class OrderEventsPipe extends Construct {
  public readonly pipe: CfnPipe;
  public readonly role: Role;
  public readonly deadLetterQueue: DeadLetterQueue;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: OrderEventsPipeProps) {
    super(scope, id);
    const { config, table, target, key } = props;
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new Error(`${id}: the orders table has no stream`);

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetter', { config, key: key.key });
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `Execution role of the ${props.eventType} pipe (${config.stageName})`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadOrdersStream',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    this.role.addToPolicy(target.deliverStatement);
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'SendToOwnDeadLetterQueue',
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queue.queueArn],
      }),
    );
    this.role.addToPolicy(key.dataKeyStatement('EncryptMessages'));
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: `Orders ${config.stageName}: ${props.description}`,
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
        filterCriteria: { filters: [{ pattern: JSON.stringify(props.filter) }] },
      },
      target: target.arn,
      targetParameters: { inputTemplate: pipeInputTemplate(props.templatePath) },
      logConfiguration: {
        level: 'ERROR',
        cloudwatchLogsLogDestination: { logGroupArn: this.logGroup.logGroupArn },
      },
    });
    // The pipe validates its role on creation: create the policy first.
    this.pipe.node.addDependency(this.role);
  }
}
