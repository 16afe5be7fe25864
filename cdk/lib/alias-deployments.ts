import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  type ILambdaDeploymentConfig,
  LambdaApplication,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
} from 'aws-cdk-lib/aws-codedeploy';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { DeploymentStyle, StageConfig } from './config';
import type { RustLambda } from './rust-lambda';

/** The CodeDeploy configuration of each deployment style (docs/operations.md). */
export const DEPLOYMENT_CONFIGS: Readonly<Record<DeploymentStyle, ILambdaDeploymentConfig>> = {
  'all-at-once': LambdaDeploymentConfig.ALL_AT_ONCE,
  linear: LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  canary: LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
};

export interface AliasDeploymentsProps {
  readonly config: StageConfig;
  /** Every function whose `live` alias CodeDeploy shifts. */
  readonly functions: readonly RustLambda[];
  /** Rollback alarms notify it too (a rollback is worth knowing about). */
  readonly opsTopic: ITopic;
}

/** What one function's deployment consists of. */
export interface AliasDeployment {
  readonly fn: RustLambda;
  /** Absent in the emulator synth (`config.emulator`): the emulator cannot create CodeDeploy resources. */
  readonly group?: LambdaDeploymentGroup;
  /** The group's CodeDeploy service role (explicit statements, no managed policy). */
  readonly role: Role;
  /** `Errors` and p99 `Duration` of the `live` alias: either in ALARM rolls the deployment back. */
  readonly rollbackAlarms: readonly Alarm[];
}

/**
 * CodeDeploy traffic shifting of every function's `live` alias: one
 * application per stage, one deployment group per alias with the stage's
 * deployment style, rollback on a failed or stopped deployment and while an
 * alias alarm (errors, p99 duration of the alias) is in ALARM. A new function
 * version (`currentVersion`) makes CloudFormation hand the alias update to
 * CodeDeploy (the alias's `CodeDeployLambdaAliasUpdate` update policy).
 *
 * Each group's service role is this construct's own, with explicit
 * statements for its alias and alarms; the group gets it without policy
 * updates, so CDK's default AWSCodeDeployRoleForLambdaLimited
 * (lambda:UpdateAlias on `*`) is not attached.
 *
 * The emulator synth (`config.emulator`) has the alarms and roles but no
 * CodeDeploy application or groups, which the emulator cannot create; the
 * alias then simply points at the current version.
 */
export class AliasDeployments extends Construct {
  public readonly application?: LambdaApplication;
  public readonly deployments: readonly AliasDeployment[];

  constructor(scope: Construct, id: string, props: AliasDeploymentsProps) {
    super(scope, id);
    const { config, functions, opsTopic } = props;
    const { rollback } = config.monitoring;
    const deploymentConfig = DEPLOYMENT_CONFIGS[config.deploymentStyle];

    const application = config.emulator
      ? undefined
      : new LambdaApplication(this, 'Application', { applicationName: `orders-${config.stageName}` });
    this.application = application;
    const notify = new SnsAction(opsTopic);

    this.deployments = functions.map((fn) => {
      const fnId = fn.node.id;
      const alarm = (kind: string, what: string, metric: Alarm['metric'], threshold: number): Alarm => {
        const a = new Alarm(this, `${fnId}${kind}RollbackAlarm`, {
          alarmName: `Orders-${config.stageName}-${fn.binaryName}-live-${kind.toLowerCase()}`,
          alarmDescription: `Orders ${config.stageName}: ${what} of ${fn.binaryName}:live (rolls a deployment of the alias back; docs/operations.md)`,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        a.addAlarmAction(notify);
        return a;
      };
      const rollbackAlarms = [
        alarm('Errors', `more than ${rollback.maxErrors} errors per ${rollback.period.toHumanString()}`,
          fn.alias.metricErrors({ period: rollback.period, statistic: 'Sum' }), rollback.maxErrors),
        alarm('Duration', `p99 duration above ${rollback.maxP99DurationPercentOfTimeout}% of the timeout`,
          fn.alias.metricDuration({ period: rollback.period, statistic: 'p99' }),
          fn.percentOfTimeout(rollback.maxP99DurationPercentOfTimeout).toMilliseconds()),
      ];

      // One role per group, allowed what CodeDeploy does for a Lambda
      // deployment without hooks: read and move this alias, read these
      // alarms. (A role shared by all groups would tie every function to
      // every alias: a dependency cycle through the saga's state machine.)
      const role = new Role(this, `${fnId}Role`, {
        assumedBy: new ServicePrincipal('codedeploy.amazonaws.com'),
        description: `CodeDeploy service role of ${fn.binaryName}:live (${config.stageName})`,
      });
      role.addToPolicy(
        new PolicyStatement({
          sid: 'ShiftLiveAlias',
          actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
          // The alias ARN spelled from the function's: a Ref to the alias would
          // be a cycle (alias update policy -> group -> this policy -> alias).
          resources: [fn.function.functionArn, `${fn.function.functionArn}:${fn.alias.aliasName}`],
        }),
      );
      role.addToPolicy(
        new PolicyStatement({
          sid: 'ReadRollbackAlarms',
          actions: ['cloudwatch:DescribeAlarms'],
          resources: rollbackAlarms.map((a) => a.alarmArn),
        }),
      );
      if (application === undefined) return { fn, role, rollbackAlarms };
      const group = new LambdaDeploymentGroup(this, fnId, {
        application,
        deploymentGroupName: fn.binaryName,
        alias: fn.alias,
        deploymentConfig,
        alarms: rollbackAlarms,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
        // Without policy updates: CDK's default AWSCodeDeployRoleForLambdaLimited
        // (lambda:UpdateAlias on "*") is not attached.
        role: role.withoutPolicyUpdates(),
      });
      // CodeDeploy acts with the role's policy: create it before the group.
      group.node.addDependency(role);
      return { fn, group, role, rollbackAlarms };
    });
  }

  public get rollbackAlarms(): Alarm[] {
    return this.deployments.flatMap((d) => [...d.rollbackAlarms]);
  }
}
