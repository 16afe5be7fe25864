import { DefaultStackSynthesizer, Stage, type StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CDK_QUALIFIERS, type StageConfig } from './config';
import { OrdersStack } from './orders-stack';
import { tagOrdersResources } from './tags';

export interface OrdersStageProps extends StageProps {
  readonly config: StageConfig;
}

/** Stack id inside each stage: stacks are `Orders-<stage>/Service` (CloudFormation name `Orders-<stage>-Service`). */
export const SERVICE_STACK_ID = 'Service';

export function stageId(config: StageConfig): string {
  return `Orders-${config.stageName}`;
}

/** One deployable environment of the Orders service. */
export class OrdersStage extends Stage {
  public readonly service: OrdersStack;

  constructor(scope: Construct, id: string, props: OrdersStageProps) {
    super(scope, id, { ...props, env: props.env ?? props.config.env });
    this.service = new OrdersStack(this, SERVICE_STACK_ID, {
      config: props.config,
      description: `Orders service (${props.config.stageName}): DynamoDB table, Rust Lambda functions, REST API`,
      terminationProtection: props.config.stageName === 'prod',
      // The stage's own CDK bootstrap (docs/deploy.md): its roles, its asset bucket.
      synthesizer: new DefaultStackSynthesizer({ qualifier: CDK_QUALIFIERS[props.config.stageName] }),
    });
    tagOrdersResources(this, props.config.stageName);
  }
}
