import { Aws, CfnOutput, CfnParameter, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  type IOidcProvider,
  ManagedPolicy,
  OidcProviderNative,
  PolicyStatement,
  Role,
  ServicePrincipal,
  WebIdentityPrincipal,
} from 'aws-cdk-lib/aws-iam';
import { CfnResourcePolicy } from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import type { AccountBootstrapConfig, StageName } from './config';
import { SERVICE_STACK_ID } from './orders-stage';

/** The stack id (and CloudFormation name) of the once-per-account stack. */
export const ACCOUNT_BOOTSTRAP_STACK_ID = 'Orders-account';

/** GitHub Actions' OIDC issuer and the audience configure-aws-credentials asks for. */
export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** The four roles `cdk bootstrap` creates, by their (qualified) name prefix. */
export const CDK_BOOTSTRAP_ROLES = ['deploy-role', 'file-publishing-role', 'image-publishing-role', 'lookup-role'] as const;

/**
 * Stage stacks are `Orders-<stage>/Service`, CloudFormation name
 * `Orders-<stage>-Service`; CloudFormation names their topics
 * `<stack name>-<logical id>-<suffix>`. The X-Ray policy lets SNS trace
 * topics of that shape only.
 */
export const ORDERS_TOPIC_NAME_PATTERN = `Orders-*-${SERVICE_STACK_ID}-*`;

/** X-Ray resource policies are account- and region-wide (at most 5, 5 KB each): one for every Orders topic. */
export const SNS_TRACING_POLICY_NAME = 'Orders-SNSActiveTracing';

/** Names of the roles GitHub assumes (predictable ARNs for the repository variables). */
export function deployRoleName(environment: StageName): string {
  return `orders-github-deploy-${environment}`;
}
export const DIFF_ROLE_NAME = 'orders-github-diff';

/**
 * The stages the pipeline smoke-tests after their deploy (dev-smoke in
 * .github/workflows/deploy.yml: scripts/smoke-stage.sh). Their deploy role
 * may read the stage stack's outputs and the API keys' values.
 */
export const SMOKE_TESTED_STAGES: readonly StageName[] = ['dev'];

/** The unprotected GitHub environment whose job diffs a stage before its approval: `staging-diff`. */
export function diffEnvironment(environment: StageName): string {
  return `${environment}-diff`;
}
function diffEnvironmentSubject(repository: string, environment: StageName): string {
  return `repo:${repository}:environment:${diffEnvironment(environment)}`;
}

/** CloudFormation name of a stage's service stack (`Orders-dev-Service`). */
export function serviceStackName(environment: StageName): string {
  return `Orders-${environment}-${SERVICE_STACK_ID}`;
}

/** `arn:aws:iam::<account>:role/cdk-<qualifier>-<role>-<account>-<region>`. */
export function cdkBootstrapRoleArn(qualifier: string, role: (typeof CDK_BOOTSTRAP_ROLES)[number]): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-${qualifier}-${role}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

export interface AccountBootstrapStackProps extends StackProps {
  readonly config: AccountBootstrapConfig;
}

/**
 * Deployed once per account (and region of its stages), before any stage:
 * GitHub's OIDC provider, one deploy role per environment whose stages live
 * in this account, a read-only diff role for pull requests, the API Gateway
 * account CloudWatch role (REST API access logs need it) and the X-Ray
 * resource policy that lets SNS active tracing write segments.
 */
export class AccountBootstrapStack extends Stack {
  public readonly githubOidcProvider: IOidcProvider;
  public readonly deployRoles = new Map<StageName, Role>();
  /** Read-only: pull requests (where dev lives) and the staging-diff / prod-diff jobs. */
  public readonly diffRole: Role;
  public readonly apiGatewayCloudWatchRole: Role;
  public readonly apiGatewayAccount: CfnAccount;
  public readonly snsTracingPolicy: CfnResourcePolicy;

  constructor(scope: Construct, id: string, props: AccountBootstrapStackProps) {
    super(scope, id, props);
    const { config } = props;

    const repository = new CfnParameter(this, 'GitHubRepository', {
      type: 'String',
      description: 'OWNER/REPO whose GitHub Actions workflows may assume the roles (-c github:repository=OWNER/REPO sets the default)',
      allowedPattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$',
      ...(config.githubRepository === undefined ? {} : { default: config.githubRepository }),
    }).valueAsString;

    // One provider per URL per account: reuse one that exists, or create the native one.
    if (config.existingGitHubOidcProviderArn !== undefined) {
      this.githubOidcProvider = OidcProviderNative.fromOidcProviderArn(this, 'GitHubOidc', config.existingGitHubOidcProviderArn);
    } else {
      this.githubOidcProvider = new OidcProviderNative(this, 'GitHubOidc', {
        url: GITHUB_OIDC_URL,
        clientIds: [STS_AUDIENCE],
        // Other repositories' roles may trust it too: deleting this stack must not cut them off.
        removalPolicy: RemovalPolicy.RETAIN,
      });
    }
    const githubPrincipalOfAny = (subjects: string | string[]) =>
      new WebIdentityPrincipal(this.githubOidcProvider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: subjects,
        },
      });
    const bootstrapRole = (role: (typeof CDK_BOOTSTRAP_ROLES)[number]) => cdkBootstrapRoleArn(config.cdkQualifier, role);

    for (const environment of config.environments) {
      // A job with `environment: <env>` gets the environment subject, not the branch one.
      const role = new Role(this, `GitHubDeploy-${environment}`, {
        roleName: deployRoleName(environment),
        description: SMOKE_TESTED_STAGES.includes(environment)
          ? `GitHub Actions jobs in the ${environment} environment: may assume the CDK bootstrap roles, and read the stage's URL and API key (smoke test)`
          : `GitHub Actions jobs in the ${environment} environment: may assume the CDK bootstrap roles, nothing else`,
        assumedBy: githubPrincipalOfAny(`repo:${repository}:environment:${environment}`),
      });
      role.addToPolicy(
        new PolicyStatement({
          sid: 'AssumeCdkBootstrapRoles',
          actions: ['sts:AssumeRole'],
          resources: CDK_BOOTSTRAP_ROLES.map(bootstrapRole),
        }),
      );
      if (SMOKE_TESTED_STAGES.includes(environment)) this.allowSmokeTest(role, environment);
      this.deployRoles.set(environment, role);
      new CfnOutput(this, `DeployRoleArn${capitalise(environment)}`, {
        value: role.roleArn,
        description: `GitHub environment "${environment}": variable AWS_DEPLOY_ROLE_ARN`,
      });
    }

    // Read-only diffs: pull requests against dev (where dev lives here), and
    // the `<env>-diff` jobs that show staging/prod approvers what they approve
    // (those jobs run in an unprotected environment before the protected one).
    const diffSubjects = config.environments.map((e) => (e === 'dev' ? `repo:${repository}:pull_request` : diffEnvironmentSubject(repository, e)));
    const stackArns = config.environments.map(
      (e) => `arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:stack/${serviceStackName(e)}/*`,
    );
    this.diffRole = new Role(this, 'GitHubDiff', {
      roleName: DIFF_ROLE_NAME,
      description: 'GitHub Actions: cdk diff against the deployed stages of this account (CDK lookup role, read CloudFormation)',
      assumedBy: githubPrincipalOfAny(diffSubjects),
    });
    this.diffRole.addToPolicy(
      new PolicyStatement({ sid: 'AssumeCdkLookupRole', actions: ['sts:AssumeRole'], resources: [bootstrapRole('lookup-role')] }),
    );
    this.diffRole.addToPolicy(
      new PolicyStatement({
        sid: 'ReadStageStacks',
        actions: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:GetTemplateSummary'],
        resources: stackArns,
      }),
    );
    this.diffRole.addToPolicy(new PolicyStatement({ sid: 'ListStacks', actions: ['cloudformation:ListStacks'], resources: ['*'] }));
    Validations.of(this.diffRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudformation:ListStacks has no resource-level permissions (it lists names and statuses only); everything else of the diff role names the stage stacks or the CDK lookup role.',
    });
    for (const e of config.environments) {
      Validations.of(this.diffRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${serviceStackName(e)}/*]`,
        reason:
          'The trailing "*" is the stack id CloudFormation assigns when the stage stack is created; the stack name is exact and the actions are read-only.',
      });
    }
    new CfnOutput(this, 'DiffRoleArn', {
      value: this.diffRole.roleArn,
      description: 'AWS_DIFF_ROLE_ARN: repository variable (pull requests, where dev lives) and of the staging-diff / prod-diff environments',
    });

    // REST API stages with access logs cannot be created until the account
    // (per region) has a CloudWatch Logs role: "CloudWatch Logs role ARN must
    // be set in account settings". The stages set cloudWatchRole: false.
    this.apiGatewayCloudWatchRole = new Role(this, 'ApiGatewayCloudWatch', {
      description: 'API Gateway (account setting): writes REST API access and execution logs to CloudWatch Logs',
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    // The account setting keeps pointing at the role after a stack delete.
    this.apiGatewayCloudWatchRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.apiGatewayCloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy API Gateway documents for its account CloudWatch role; the service creates its own log groups and streams, so an inline copy would need the same actions on "*".',
    });
    this.apiGatewayAccount = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: this.apiGatewayCloudWatchRole.roleArn });
    this.apiGatewayAccount.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // SNS active tracing (the stages' notifications topics) sends segments
    // with X-Ray's permission, given by an account-level resource policy.
    this.snsTracingPolicy = new CfnResourcePolicy(this, 'SnsActiveTracing', {
      policyName: SNS_TRACING_POLICY_NAME,
      policyDocument: this.toJsonString({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'SNSActiveTracingOfOrdersTopics',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
              StringLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:${ORDERS_TOPIC_NAME_PATTERN}` },
            },
          },
        ],
      }),
    });

    new CfnOutput(this, 'GitHubOidcProviderArn', { value: this.githubOidcProvider.oidcProviderArn, description: 'IAM OIDC provider of GitHub Actions' });
    new CfnOutput(this, 'ApiGatewayCloudWatchRoleArn', {
      value: this.apiGatewayCloudWatchRole.roleArn,
      description: 'API Gateway account setting (this region): CloudWatch Logs role',
    });
  }

  /** scripts/smoke-stage.sh: the stage stack's outputs (ApiUrl, ApiKeyId) and the key's value. */
  private allowSmokeTest(role: Role, environment: StageName): void {
    const stackArn = `arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:stack/${serviceStackName(environment)}/*`;
    const apiKeys = `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::/apikeys/*`;
    role.addToPolicy(new PolicyStatement({ sid: 'ReadStageOutputs', actions: ['cloudformation:DescribeStacks'], resources: [stackArn] }));
    role.addToPolicy(new PolicyStatement({ sid: 'ReadApiKeyValues', actions: ['apigateway:GET'], resources: [apiKeys] }));
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:<AWS::Region>:<AWS::AccountId>:stack/${serviceStackName(environment)}/*]`,
      reason: 'The trailing "*" is the stack id CloudFormation assigns when the stage stack is created; the stack name is exact and the action is read-only.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]',
      reason:
        'The key id is known only after the stage deploy (stack output ApiKeyId) and changes when the key is replaced; GET on API keys is read-only, in this account and region.',
    });
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
