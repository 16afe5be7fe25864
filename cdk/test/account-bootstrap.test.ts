import { Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ACCOUNT_BOOTSTRAP_STACK_ID,
  AccountBootstrapStack,
  GITHUB_OIDC_URL,
  ORDERS_TOPIC_NAME_PATTERN,
  SMOKE_TESTED_STAGES,
  SNS_TRACING_POLICY_NAME,
} from '../lib/account-bootstrap-stack';
import { accountBootstrapConfig, STAGE_NAMES } from '../lib/config';
import { asArray, buildTestApp, onlyOne, resources } from './helpers';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const REPO = 'acme/orders';

/** Pseudo parameters and stack parameters as CloudFormation would substitute them. */
const VALUES: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::Partition': 'aws',
  GitHubRepository: REPO,
};

/** Resolves Ref / Fn::Join / Fn::GetAtt (to `<id>.Arn`) the way a deploy would, for assertions on plain strings. */
function render(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(render);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('Ref' in o) return VALUES[o.Ref as string] ?? `ref:${String(o.Ref)}`;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (parts.map(render) as string[]).join(sep);
    }
    if ('Fn::GetAtt' in o) return (o['Fn::GetAtt'] as string[]).join('.');
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, render(x)]));
  }
  return v;
}

function bootstrapTemplate(context: Record<string, unknown> = {}): { stack: AccountBootstrapStack; t: Template } {
  const { app } = buildTestApp({ 'github:repository': REPO, ...context }, false);
  const stack = app.node.findChild(ACCOUNT_BOOTSTRAP_STACK_ID) as AccountBootstrapStack;
  return { stack, t: Template.fromStack(stack) };
}

function roleNamed(t: Template, name: string): [string, any] {
  return onlyOne(
    Object.entries(resources(t, 'AWS::IAM::Role')).filter(([, r]) => r.Properties?.RoleName === name),
    `role ${name}`,
  );
}

function statementsOfRole(t: Template, roleId: string): any[] {
  return Object.values(resources(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement);
}

const cdkRole = (role: string) => `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-${role}-${ACCOUNT}-${REGION}`;

describe('Orders-account (once per account)', () => {
  const { stack, t } = bootstrapTemplate();
  const providerId = onlyOne(Object.keys(resources(t, 'AWS::IAM::OIDCProvider')), 'OIDC provider');

  test('the native OIDC provider for GitHub, audience sts.amazonaws.com, retained', () => {
    const p = resources(t)[providerId]!;
    expect(p.Properties).toMatchObject({ Url: GITHUB_OIDC_URL, ClientIdList: ['sts.amazonaws.com'] });
    expect(p.DeletionPolicy).toBe('Retain');
    // Not the custom-resource provider (Lambda-backed).
    expect(Object.values(resources(t)).filter((r) => r.Type.startsWith('Custom::') || r.Type === 'AWS::Lambda::Function')).toEqual([]);
  });

  test('the repository is a parameter whose default comes from -c github:repository', () => {
    expect(t.toJSON().Parameters.GitHubRepository).toMatchObject({ Type: 'String', Default: REPO });
    const { t: unset } = (() => {
      const { app } = buildTestApp({}, false);
      return { t: Template.fromStack(app.node.findChild(ACCOUNT_BOOTSTRAP_STACK_ID) as Stack) };
    })();
    expect(unset.toJSON().Parameters.GitHubRepository.Default).toBeUndefined();
  });

  test.each(STAGE_NAMES)('deploy role of %s: trusts only that GitHub environment of the repository, with the STS audience', (env) => {
    const [, role] = roleNamed(t, `orders-github-deploy-${env}`);
    expect(render(role.Properties.AssumeRolePolicyDocument.Statement)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: `ref:${providerId}` },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': `repo:${REPO}:environment:${env}`,
          },
        },
      },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
  });

  test.each(STAGE_NAMES)('deploy role of %s: assumes the four CDK bootstrap roles; dev alone also reads its URL and API key (smoke test)', (env) => {
    const [id] = roleNamed(t, `orders-github-deploy-${env}`);
    const smoke = [
      {
        Sid: 'ReadStageOutputs',
        Effect: 'Allow',
        Action: 'cloudformation:DescribeStacks',
        Resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Orders-${env}-Service/*`,
      },
      { Sid: 'ReadApiKeyValues', Effect: 'Allow', Action: 'apigateway:GET', Resource: `arn:aws:apigateway:${REGION}::/apikeys/*` },
    ];
    expect(SMOKE_TESTED_STAGES).toEqual(['dev']);
    expect(render(statementsOfRole(t, id))).toEqual([
      {
        Sid: 'AssumeCdkBootstrapRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: ['deploy-role', 'file-publishing-role', 'image-publishing-role', 'lookup-role'].map(cdkRole),
      },
      ...(env === 'dev' ? smoke : []),
    ]);
  });

  test('diff role: pull requests and the staging-diff / prod-diff jobs; the CDK lookup role and reading the stage stacks', () => {
    const [id, role] = roleNamed(t, 'orders-github-diff');
    const [trust] = render(role.Properties.AssumeRolePolicyDocument.Statement) as any[];
    expect(trust.Condition.StringEquals).toEqual({
      'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
      'token.actions.githubusercontent.com:sub': [
        `repo:${REPO}:pull_request`,
        `repo:${REPO}:environment:staging-diff`,
        `repo:${REPO}:environment:prod-diff`,
      ],
    });
    const statements = render(statementsOfRole(t, id)) as any[];
    expect(statements).toEqual([
      { Sid: 'AssumeCdkLookupRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: cdkRole('lookup-role') },
      {
        Sid: 'ReadStageStacks',
        Effect: 'Allow',
        Action: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate', 'cloudformation:GetTemplateSummary'],
        // (sorted by the minimizePolicies feature flag)
        Resource: STAGE_NAMES.map((e) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Orders-${e}-Service/*`).sort(),
      },
      { Sid: 'ListStacks', Effect: 'Allow', Action: 'cloudformation:ListStacks', Resource: '*' },
    ]);
    // Nothing that writes.
    const actions = statements.flatMap((s) => asArray<string>(s.Action));
    expect(actions.filter((a) => !/^(sts:AssumeRole|cloudformation:(Describe|Get|List)\w+)$/.test(a))).toEqual([]);
  });

  test('no IAM statement in the stack has a wildcard action', () => {
    const docs = [
      ...Object.values(resources(t, 'AWS::IAM::Policy')).map((p) => p.Properties?.PolicyDocument),
      ...Object.values(resources(t, 'AWS::IAM::Role')).map((r) => r.Properties?.AssumeRolePolicyDocument),
    ];
    const actions = docs.flatMap((d) => d.Statement).flatMap((s: any) => asArray<string>(s.Action));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  test('API Gateway account setting: a CloudWatch role trusted by apigateway.amazonaws.com with the push-to-logs policy', () => {
    const account = onlyOne(Object.values(resources(t, 'AWS::ApiGateway::Account')), 'API Gateway account');
    const roleId = account.Properties?.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    const role = resources(t)[roleId]!;
    expect(role.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(render(role.Properties?.ManagedPolicyArns)).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']);
    expect(role.DeletionPolicy).toBe('Retain');
  });

  test('X-Ray resource policy: SNS may send traces of Orders topics of this account only', () => {
    const policy = onlyOne(Object.values(resources(t, 'AWS::XRay::ResourcePolicy')), 'X-Ray resource policy');
    expect(policy.Properties?.PolicyName).toBe(SNS_TRACING_POLICY_NAME);
    const doc = JSON.parse(render(policy.Properties?.PolicyDocument) as string);
    expect(doc.Statement).toEqual([
      {
        Sid: 'SNSActiveTracingOfOrdersTopics',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          StringLike: { 'aws:SourceArn': `arn:aws:sns:${REGION}:${ACCOUNT}:${ORDERS_TOPIC_NAME_PATTERN}` },
        },
      },
    ]);
    // X-Ray's limit is 5 KB per policy document.
    expect(Buffer.byteLength(JSON.stringify(doc))).toBeLessThan(5 * 1024);
  });

  test('the X-Ray pattern matches the names CloudFormation gives every stage topic, and nothing else', () => {
    const { stages } = buildTestApp({}, false);
    const glob = new RegExp(`^${ORDERS_TOPIC_NAME_PATTERN.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
    for (const stage of stages.values()) {
      // The traced topic (notifications); the ops alarms topic has no active tracing.
      const topics = resources(Template.fromStack(stage.service), 'AWS::SNS::Topic');
      const topicId = onlyOne(Object.keys(topics).filter((id) => topics[id]?.Properties?.TracingConfig === 'Active'), 'traced topic');
      // CloudFormation: <stack name>-<logical id>-<random suffix> (no TopicName is set).
      expect(resources(Template.fromStack(stage.service), 'AWS::SNS::Topic')[topicId]?.Properties?.TopicName).toBeUndefined();
      expect(`${stage.service.stackName}-${topicId}-1A2B3C4D5E6F`).toMatch(glob);
    }
    expect('Payments-prod-Service-Topic-1A2B').not.toMatch(glob);
    expect('Orders-prod-Other-Topic-1A2B').not.toMatch(glob);
  });

  test('outputs: every role ARN and the provider', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    const roleIdOf = (name: string) => roleNamed(t, name)[0];
    expect(Object.keys(outputs).sort()).toEqual(
      ['ApiGatewayCloudWatchRoleArn', 'DeployRoleArnDev', 'DeployRoleArnProd', 'DeployRoleArnStaging', 'DiffRoleArn', 'GitHubOidcProviderArn'],
    );
    expect(outputs.DeployRoleArnDev?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf('orders-github-deploy-dev'), 'Arn'] });
    expect(outputs.DeployRoleArnStaging?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf('orders-github-deploy-staging'), 'Arn'] });
    expect(outputs.DeployRoleArnProd?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf('orders-github-deploy-prod'), 'Arn'] });
    expect(outputs.DiffRoleArn?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf('orders-github-diff'), 'Arn'] });
    expect(outputs.GitHubOidcProviderArn?.Value).toEqual({ Ref: providerId });
    const account = onlyOne(Object.values(resources(t, 'AWS::ApiGateway::Account')), 'API Gateway account');
    expect(outputs.ApiGatewayCloudWatchRoleArn?.Value).toEqual(account.Properties?.CloudWatchRoleArn);
  });

  test('termination protection; environment-agnostic when not pinned', () => {
    expect(stack.terminationProtection).toBe(true);
    expect(stack.stackName).toBe('Orders-account');
    expect(Token.isUnresolved(stack.account)).toBe(true);
  });
});

describe('Orders-account options', () => {
  test('bootstrap:environments=prod: only the prod deploy role; the diff role reads prod for prod-diff, no pull requests', () => {
    const { t } = bootstrapTemplate({ 'bootstrap:environments': 'prod' });
    expect(Object.values(resources(t, 'AWS::IAM::Role')).map((r) => r.Properties?.RoleName).filter(Boolean).sort()).toEqual([
      'orders-github-deploy-prod',
      'orders-github-diff',
    ]);
    const [id, diff] = roleNamed(t, 'orders-github-diff');
    expect(render(diff.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub'])).toEqual(
      [`repo:${REPO}:environment:prod-diff`],
    );
    expect(render(statementsOfRole(t, id))).toContainEqual(
      expect.objectContaining({ Sid: 'ReadStageStacks', Resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Orders-prod-Service/*` }),
    );
    expect(Object.keys(t.toJSON().Outputs).sort()).toEqual(['ApiGatewayCloudWatchRoleArn', 'DeployRoleArnProd', 'DiffRoleArn', 'GitHubOidcProviderArn']);
  });

  test('an existing GitHub OIDC provider is reused, not created', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const { t } = bootstrapTemplate({ 'bootstrap:githubOidcProviderArn': arn });
    expect(resources(t, 'AWS::IAM::OIDCProvider')).toEqual({});
    const [, role] = roleNamed(t, 'orders-github-deploy-prod');
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Federated: arn });
  });

  test('pinned with -c bootstrap:account / bootstrap:region', () => {
    const { stack } = bootstrapTemplate({ 'bootstrap:account': ACCOUNT, 'bootstrap:region': REGION });
    expect([stack.account, stack.region]).toEqual([ACCOUNT, REGION]);
  });

  test('-c stage=... builds stages only', () => {
    expect(buildTestApp({ stage: 'dev' }, false).app.node.tryFindChild(ACCOUNT_BOOTSTRAP_STACK_ID)).toBeUndefined();
  });

  test('config: repository from GITHUB_REPOSITORY, a custom CDK qualifier, bad values refused', () => {
    expect(accountBootstrapConfig({ GITHUB_REPOSITORY: 'o/r' }).githubRepository).toBe('o/r');
    const ctx = (m: Record<string, unknown>) => (k: string) => m[k];
    expect(accountBootstrapConfig({}, ctx({ 'bootstrap:cdkQualifier': 'abc123' })).cdkQualifier).toBe('abc123');
    expect(() => accountBootstrapConfig({}, ctx({ 'github:repository': 'no-slash' }))).toThrow(/OWNER\/REPO/);
    expect(() => accountBootstrapConfig({}, ctx({ 'bootstrap:environments': 'dev,qa' }))).toThrow(/unknown stage "qa"/);
  });
});
