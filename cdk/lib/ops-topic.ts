import { Aws } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { OrderEventsKey } from './order-events-key';

export interface OpsTopicProps {
  readonly config: StageConfig;
  /** The topic is encrypted with the order events key; CloudWatch gets to use it for alarm notifications. */
  readonly key: OrderEventsKey;
}

/** Every alarm of a stage is named `Orders-<stage>-…` (cdk/lib/orders-monitoring.ts, cdk/lib/alias-deployments.ts). */
export function stageAlarmNamePattern(stageName: string): string {
  return `Orders-${stageName}-*`;
}

/**
 * The stage's ops topic: every alarm (and every rollback alarm) notifies it
 * on ALARM and on OK. Encrypted, TLS-only; an e-mail subscription when the
 * stage config has `monitoring.opsEmail` (the topic exists either way, so
 * other subscribers, chat or paging, can be added without a deploy).
 */
export class OpsTopic extends Construct {
  public readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OpsTopicProps) {
    super(scope, id);
    const { config, key } = props;
    this.topic = new Topic(this, 'Topic', {
      displayName: `Orders ${config.stageName} ops alarms`,
      masterKey: key.key,
      enforceSSL: true,
    });
    // Like every stateful resource of the stage (a retained topic keeps its confirmed subscriptions).
    this.topic.applyRemovalPolicy(config.removalPolicy);
    // CloudWatch publishes alarm notifications with its service principal:
    // an encrypted topic needs the key policy to let it (alarms of this account and region only).
    key.allowServiceOfThisAccount('AllowCloudWatchAlarmsToNotifyTheOpsTopic', 'cloudwatch', 'alarm:*');
    // A topic policy replaces SNS's default one, so CloudWatch also needs an
    // Allow here: only for this stage's alarms, in this account and region.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisStagesAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${stageAlarmNamePattern(config.stageName)}`,
          },
        },
      }),
    );
    const email = config.monitoring.opsEmail;
    if (email !== undefined) this.topic.addSubscription(new EmailSubscription(email));
  }
}
