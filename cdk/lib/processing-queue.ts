import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';

/** How long every queue of the order messaging keeps a message: the SQS maximum. */
export const MESSAGE_RETENTION = Duration.days(14);
/** Receives of one message before SQS moves it to the processing dead-letter queue. */
export const MAX_RECEIVE_COUNT = 3;
/** The processing queue's visibility timeout is this many processor timeouts (AWS guidance for Lambda consumers). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** KMS encryption with the order events key, TLS-only access, 14-day retention. */
function secureQueueProps(key: IKey): QueueProps {
  return {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: MESSAGE_RETENTION,
  };
}

export interface DeadLetterQueueProps {
  readonly key: IKey;
}

/**
 * A dead-letter queue: encrypted with the order events key, TLS-only, 14 days
 * of retention. Used for the processing queue, the pipe and the notifier
 * subscription.
 */
export class DeadLetterQueue extends Construct {
  public readonly queue: Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', secureQueueProps(props.key));
  }
}

export interface ProcessingQueueProps {
  readonly config: StageConfig;
  readonly key: IKey;
}

/**
 * The processing queue between the OrderCreated pipe and the processor:
 * encrypted, TLS-only, long polling, a visibility timeout of six processor
 * timeouts, and a dead-letter queue after three receives.
 */
export class ProcessingQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ProcessingQueueProps) {
    super(scope, id);
    const { config, key } = props;

    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetter', { key });
    this.queue = new Queue(this, 'Queue', {
      ...secureQueueProps(key),
      visibilityTimeout: Duration.seconds(config.processor.timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.deadLetterQueue.queue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}
