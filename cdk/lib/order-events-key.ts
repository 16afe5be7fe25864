import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { StageConfig } from './config';

export interface OrderEventsKeyProps {
  readonly config: StageConfig;
}

/** What a principal needs to send to (and read from) a resource encrypted with this key. */
export const KMS_DATA_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

/**
 * The customer-managed KMS key of the order messaging: the processing queue,
 * every dead-letter queue and the notifications topic are encrypted with it.
 *
 * Key policy: CDK's default statement (the account may delegate use through
 * IAM; the functions and the pipe role get `kms:GenerateDataKey` /
 * `kms:Decrypt` on this key in their own policies) plus one statement for the
 * SNS service principal, which needs the key itself to deliver failed
 * notifications to the encrypted subscription dead-letter queue. The pipe
 * needs nothing in the key policy: it sends with its execution role.
 */
export class OrderEventsKey extends Construct {
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: OrderEventsKeyProps) {
    super(scope, id);
    const { config } = props;

    this.key = new Key(this, 'Key', {
      description: `Orders ${config.stageName}: order messaging (processing queue, dead-letter queues, notifications topic)`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
      // A deleted dev key can go soon; anything retained keeps the 30-day safety window.
      pendingWindow: Duration.days(config.removalPolicy === RemovalPolicy.DESTROY ? 7 : 30),
    });

    // SNS -> encrypted SQS (the notifier subscription's dead-letter queue).
    // Scoped to SNS topics of this account and region; the topic's own ARN
    // cannot be named here (the topic is encrypted with this key: a cycle).
    this.allowServiceOfThisAccount('AllowSnsToUseTheKeyForDeadLetterQueues', 'sns', '*');
  }

  /**
   * Lets a service principal (`<service>.amazonaws.com`) use the key for
   * data keys, only on behalf of its resources of this account and region
   * whose ARN resource part matches `resourcePattern`.
   */
  public allowServiceOfThisAccount(sid: string, service: string, resourcePattern: string): void {
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid,
        principals: [new ServicePrincipal(`${service}.amazonaws.com`)],
        actions: [...KMS_DATA_KEY_ACTIONS],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resourcePattern}` },
        },
      }),
    );
  }

  /**
   * `kms:GenerateDataKey` + `kms:Decrypt` on this key, usable only through
   * one service of this region (`kms:ViaService`), not directly and not
   * through another service: a producer of an encrypted queue cannot use
   * the key to publish to the encrypted topics.
   */
  public dataKeyStatementViaService(sid: string, service: string): PolicyStatement {
    return new PolicyStatement({
      sid,
      actions: [...KMS_DATA_KEY_ACTIONS],
      resources: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.amazonaws.com` } },
    });
  }

  /** `kms:GenerateDataKey` + `kms:Decrypt` on this key, for a role's own policy. */
  public dataKeyStatement(sid: string): PolicyStatement {
    return new PolicyStatement({ sid, actions: [...KMS_DATA_KEY_ACTIONS], resources: [this.key.keyArn] });
  }
}
