import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterOrPolicy, SubscriptionFilter, Topic, TracingConfig } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { DeadLetterQueue } from './processing-queue';

/**
 * The field of the message body (the event JSON) subscriptions filter on.
 * The publisher is an EventBridge Pipe, and Pipes sets no SNS message
 * attributes, so the filter is on the body, not on an attribute.
 */
export const EVENT_TYPE_FIELD = 'eventType';
/** The event type the customer notifier subscribes to. */
export const ORDER_STATUS_CHANGED = 'OrderStatusChanged';

export interface NotificationsTopicProps {
  readonly config: StageConfig;
  readonly key: IKey;
}

/**
 * The notifications topic: order events (OrderStatusChanged v1) fan out from
 * here to the customer notifier and any other subscriber. Encrypted with the
 * order events key, TLS-only publishing, X-Ray active tracing.
 */
export class NotificationsTopic extends Construct {
  public readonly topic: Topic;
  private readonly key: IKey;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: NotificationsTopicProps) {
    super(scope, id);
    this.key = props.key;
    this.config = props.config;
    this.topic = new Topic(this, 'Topic', {
      displayName: `Orders ${props.config.stageName} notifications`,
      masterKey: props.key,
      enforceSSL: true,
      // SNS needs X-Ray's permission to trace: the account's resource policy (Orders-account).
      tracingConfig: TracingConfig.ACTIVE,
    });
    // Retained with the table and key in staging and prod: subscribers outside this stack may rely on it.
    this.topic.applyRemovalPolicy(props.config.removalPolicy);
  }

  public get topicArn(): string {
    return this.topic.topicArn;
  }

  /**
   * Subscribes a function (its `live` alias) to OrderStatusChanged events
   * only (filter on the message body's `eventType`), with an encrypted
   * dead-letter queue for deliveries SNS gives up on.
   */
  public subscribeToStatusChanges(id: string, fn: IFunction): DeadLetterQueue {
    const deadLetterQueue = new DeadLetterQueue(this, `${id}DeadLetter`, { config: this.config, key: this.key });
    this.topic.addSubscription(
      new LambdaSubscription(fn, {
        filterPolicyWithMessageBody: {
          [EVENT_TYPE_FIELD]: FilterOrPolicy.filter(SubscriptionFilter.stringFilter({ allowlist: [ORDER_STATUS_CHANGED] })),
        },
        deadLetterQueue: deadLetterQueue.queue,
      }),
    );
    return deadLetterQueue;
  }
}
