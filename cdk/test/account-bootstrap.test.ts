import { DefaultStackSynthesizer, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ACCOUNT_BOOTSTRAP_STACK_ID,
  AccountBootstrapStack,
  GITHUB_OIDC_URL,
  ORDERS_TOPIC_NAME_PATTERN,
  SMOKE_TESTED_STAGES,
  SNS_TRACING_POLICY_NAME,
} from '../lib/account-bootstrap-stack';
import { accountBootstrapConfig, CDK_QUALIFIERS, STAGE_NAMES } from '../lib/config';
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
    Object.entries(resources(t, 'AWS::IAM::Role')).filter(([, r]) => render(r.Properties?.RoleName) === name),
    `role ${name}`,
  );
}

function statementsOfRole(t: Template, roleId: string): any[] {
  return Object.values(resources(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement);
}

const cdkRole = (qualifier: string, role: string) => `arn:aws:iam::${ACCOUNT}:role/cdk-${qualifier}-${role}-${ACCOUNT}-${REGION}`;
const BOOTSTRAP_ROLES = ['deploy-role', 'file-publishing-role', 'image-publishing-role', 'lookup-role'];
/** Whether a role's statements allow `sts:AssumeRole` on the given role ARN (IAM's glob on Resource). */
function mayAssume(statements: any[], arn: string): boolean {
  const glob = (p: string) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return statements.some(
    (st) =>
      st.Effect === 'Allow' &&
      asArray<string>(st.Action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') &&
      asArray<string>(st.Resource).some((r) => glob(r).test(arn)),
  );
}

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
    const [, role] = roleNamed(t, `orders-github-deploy-${env}-${REGION}`);
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

  test.each(STAGE_NAMES)("deploy role of %s: assumes only the four bootstrap roles of its own stage's qualifier; dev alone also reads its URL and API key (smoke test)", (env) => {
    const [id] = roleNamed(t, `orders-github-deploy-${env}-${REGION}`);
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
    const statements = render(statementsOfRole(t, id)) as any[];
    expect(statements).toEqual([
      {
        Sid: 'AssumeOwnCdkBootstrapRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: BOOTSTRAP_ROLES.map((r) => cdkRole(CDK_QUALIFIERS[env], r)),
      },
      ...(env === 'dev' ? smoke : []),
    ]);
    // Control: never another stage's bootstrap roles, nor the default bootstrap's.
    for (const other of STAGE_NAMES) {
      for (const r of BOOTSTRAP_ROLES) {
        expect([other, r, mayAssume(statements, cdkRole(CDK_QUALIFIERS[other], r))]).toEqual([other, r, other === env]);
      }
    }
    for (const r of BOOTSTRAP_ROLES) expect(mayAssume(statements, cdkRole('hnb659fds', r))).toBe(false);
  });

  test('one qualifier per stage, each a valid CDK qualifier; the stage stacks synthesize with theirs', () => {
    expect(new Set(Object.values(CDK_QUALIFIERS)).size).toBe(STAGE_NAMES.length);
    for (const q of Object.values(CDK_QUALIFIERS)) expect(q).toMatch(/^[A-Za-z0-9_-]{1,10}$/);
    const { stages } = buildTestApp({}, false);
    for (const [stage, s] of stages) {
      const synthesizer = s.service.synthesizer as DefaultStackSynthesizer;
      expect(synthesizer).toBeInstanceOf(DefaultStackSynthesizer);
      expect(synthesizer.cloudFormationExecutionRoleArn).toContain(`cdk-${CDK_QUALIFIERS[stage]}-cfn-exec-role-`);
      expect(synthesizer.deployRoleArn).toContain(`cdk-${CDK_QUALIFIERS[stage]}-deploy-role-`);
      const params = Template.fromStack(s.service).toJSON().Parameters;
      expect(params.BootstrapVersion.Default).toBe(`/cdk-bootstrap/${CDK_QUALIFIERS[stage]}/version`);
    }
  });

  test('diff role: pull requests and the staging-diff / prod-diff jobs; reads the stage stacks and bootstrap versions, assumes nothing', () => {
    const [id, role] = roleNamed(t, `orders-github-diff-${REGION}`);
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
      {
        Sid: 'ReadStageStacks',
        Effect: 'Allow',
        Action: ['cloudformation:DescribeStacks', 'cloudformation:GetTemplate'],
        // (sorted by the minimizePolicies feature flag)
        Resource: STAGE_NAMES.map((e) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Orders-${e}-Service/*`).sort(),
      },
      {
        Sid: 'ReadBootstrapVersions',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: STAGE_NAMES.map((e) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdk-bootstrap/${CDK_QUALIFIERS[e]}/version`).sort(),
      },
    ]);
    // Control: the CDK lookup role (ReadOnlyAccess) of no bootstrap, nor any other role.
    for (const q of [...Object.values(CDK_QUALIFIERS), 'hnb659fds']) {
      for (const r of BOOTSTRAP_ROLES) expect([q, r, mayAssume(statements, cdkRole(q, r))]).toEqual([q, r, false]);
    }
    const actions = statements.flatMap((s) => asArray<string>(s.Action));
    expect(actions.filter((a) => a.startsWith('sts:'))).toEqual([]);
    // Nothing that writes, nothing on "*".
    expect(actions.filter((a) => !/^(cloudformation:(DescribeStacks|GetTemplate)|ssm:GetParameter)$/.test(a))).toEqual([]);
    expect(statements.flatMap((s) => asArray<string>(s.Resource)).filter((r) => r === '*')).toEqual([]);
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
    expect(outputs.DeployRoleArnDev?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf(`orders-github-deploy-dev-${REGION}`), 'Arn'] });
    expect(outputs.DeployRoleArnStaging?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf(`orders-github-deploy-staging-${REGION}`), 'Arn'] });
    expect(outputs.DeployRoleArnProd?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf(`orders-github-deploy-prod-${REGION}`), 'Arn'] });
    expect(outputs.DiffRoleArn?.Value).toEqual({ 'Fn::GetAtt': [roleIdOf(`orders-github-diff-${REGION}`), 'Arn'] });
    expect(outputs.GitHubOidcProviderArn?.Value).toEqual({ Ref: providerId });
    const account = onlyOne(Object.values(resources(t, 'AWS::ApiGateway::Account')), 'API Gateway account');
    expect(outputs.ApiGatewayCloudWatchRoleArn?.Value).toEqual(account.Properties?.CloudWatchRoleArn);
  });

  test('deploys with the caller\'s credentials and needs no CDK bootstrap: no bootstrap role, no template asset, small enough to go inline', () => {
    const { app } = buildTestApp({ 'github:repository': REPO }, false);
    const artifact = app.synth().getStackByName(ACCOUNT_BOOTSTRAP_STACK_ID);
    expect(artifact.assumeRoleArn).toBeUndefined();
    expect(artifact.cloudFormationExecutionRoleArn).toBeUndefined();
    expect(artifact.stackTemplateAssetObjectUrl).toBeUndefined();
    expect(artifact.requiresBootstrapStackVersion).toBeUndefined();
    expect(t.toJSON().Parameters.BootstrapVersion).toBeUndefined();
    // CloudFormation takes a TemplateBody of up to 51,200 bytes.
    expect(JSON.stringify(artifact.template).length).toBeLessThan(51_200);
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
    expect(Object.values(resources(t, 'AWS::IAM::Role')).map((r) => render(r.Properties?.RoleName)).filter(Boolean).sort()).toEqual([
      `orders-github-deploy-prod-${REGION}`,
      `orders-github-diff-${REGION}`,
    ]);
    const [id, diff] = roleNamed(t, `orders-github-diff-${REGION}`);
    expect(render(diff.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub'])).toEqual(
      [`repo:${REPO}:environment:prod-diff`],
    );
    expect(render(statementsOfRole(t, id))).toContainEqual(
      expect.objectContaining({ Sid: 'ReadStageStacks', Resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Orders-prod-Service/*` }),
    );
    expect(Object.keys(t.toJSON().Outputs).sort()).toEqual(['ApiGatewayCloudWatchRoleArn', 'DeployRoleArnProd', 'DiffRoleArn', 'GitHubOidcProviderArn']);
  });

  test('a second region of the same account: region-scoped role names, the account\'s existing OIDC provider', () => {
    const { t } = bootstrapTemplate({ 'bootstrap:githubOidcProvider': 'existing' });
    expect(resources(t, 'AWS::IAM::OIDCProvider')).toEqual({});
    const [, role] = roleNamed(t, `orders-github-deploy-prod-${REGION}`);
    expect(render(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal)).toEqual({
      Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    });
    // Every named IAM resource carries the region; the API Gateway CloudWatch role is named by CloudFormation.
    for (const r of Object.values(resources(t, 'AWS::IAM::Role'))) {
      const name = r.Properties?.RoleName;
      if (name !== undefined) expect(render(name)).toMatch(new RegExp(`-${REGION}$`));
    }
    expect(Object.values(resources(t, 'AWS::IAM::ManagedPolicy'))).toEqual([]);
    // The per-region singletons (API Gateway account setting, X-Ray policy) are per region by nature.
    expect(Object.keys(resources(t, 'AWS::ApiGateway::Account'))).toHaveLength(1);
    expect(() => accountBootstrapConfig({}, (k) => (k === 'bootstrap:githubOidcProvider' ? 'maybe' : undefined))).toThrow(/expected create/);
  });

  test('an existing GitHub OIDC provider is reused, not created', () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const { t } = bootstrapTemplate({ 'bootstrap:githubOidcProviderArn': arn });
    expect(resources(t, 'AWS::IAM::OIDCProvider')).toEqual({});
    const [, role] = roleNamed(t, `orders-github-deploy-prod-${REGION}`);
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Federated: arn });
  });

  test('pinned with -c bootstrap:account / bootstrap:region', () => {
    const { stack } = bootstrapTemplate({ 'bootstrap:account': ACCOUNT, 'bootstrap:region': REGION });
    expect([stack.account, stack.region]).toEqual([ACCOUNT, REGION]);
  });

  test('-c stage=... builds stages only', () => {
    expect(buildTestApp({ stage: 'dev' }, false).app.node.tryFindChild(ACCOUNT_BOOTSTRAP_STACK_ID)).toBeUndefined();
  });

  test('config: repository from GITHUB_REPOSITORY, bad values refused', () => {
    expect(accountBootstrapConfig({ GITHUB_REPOSITORY: 'o/r' }).githubRepository).toBe('o/r');
    const ctx = (m: Record<string, unknown>) => (k: string) => m[k];
    expect(() => accountBootstrapConfig({}, ctx({ 'github:repository': 'no-slash' }))).toThrow(/OWNER\/REPO/);
    expect(() => accountBootstrapConfig({}, ctx({ 'bootstrap:environments': 'dev,qa' }))).toThrow(/unknown stage "qa"/);
  });
});
