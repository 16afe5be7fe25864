import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';

/**
 * How long a dead-letter queue keeps a message: the SQS maximum. SQS keeps a
 * message's original enqueue time when it moves it to the dead-letter queue,
 * so a DLQ must keep messages longer than its source queue, or a message that
 * failed late in its life would expire on arrival.
 */
export const DEAD_LETTER_RETENTION = Duration.days(14);
/** How long the processing queue keeps a message (a week without a consumer), half the DLQ's. */
export const PROCESSING_RETENTION = Duration.days(7);
/** Receives of one message before SQS moves it to the processing dead-letter queue. */
export const MAX_RECEIVE_COUNT = 3;
/** The processing queue's visibility timeout is this many processor timeouts (AWS guidance for Lambda consumers). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** KMS encryption with the order events key, TLS-only access, the stage's removal policy. */
function secureQueueProps(key: IKey, removalPolicy: RemovalPolicy, retentionPeriod: Duration): QueueProps {
  return {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod,
    removalPolicy,
  };
}

export interface DeadLetterQueueProps {
  readonly config: StageConfig;
  readonly key: IKey;
}

/**
 * A dead-letter queue: encrypted with the order events key, TLS-only, 14 days
 * of retention, retained with the stage's stateful resources. Used for the
 * processing queue, the pipes and the notifier subscription.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', secureQueueProps(props.key, props.config.removalPolicy, DEAD_LETTER_RETENTION));
  }
}

export interface ProcessingQueueProps {
  readonly config: StageConfig;
  readonly key: IKey;
}

/**
 * The processing queue between the OrderCreated pipe and the processor:
 * encrypted, TLS-only, long polling, a visibility timeout of six processor
 * timeouts, 7 days of retention, and a dead-letter queue (14 days) after
 * three receives.
 */
export class ProcessingQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ProcessingQueueProps) {
    super(scope, id);
    const { config, key } = props;

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetter', { config, key });
    this.queue = new Queue(this, 'Queue', {
      ...secureQueueProps(key, config.removalPolicy, PROCESSING_RETENTION),
      visibilityTimeout: Duration.seconds(config.processor.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.deadLetterQueue.queue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}
