import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { STAGE_NAMES, type StageName } from '../lib/config';
import { cargoLambdaFlags, DEFAULT_RUST_BUILD, RustLambda, type RustLambdaBuild, SOURCE_HASH_CONTEXT } from '../lib/rust-lambda';
import { alarmMetrics, asArray, buildTestApp, onlyOne, resources, type Resources, testStageConfig, withoutTags } from './helpers';

const testApp = buildTestApp({}, false);
const t = (s: StageName) => testApp.template(s);
const all = (s: StageName): Resources => resources(t(s));
const stack = (s: StageName) => testApp.stages.get(s)!.service;
const idOf = (c: CfnResource) => Stack.of(c).getLogicalId(c);
const fnId = (fn: RustLambda) => idOf(fn.function.node.defaultChild as CfnResource);
const aliasId = (fn: RustLambda) => idOf(fn.alias.node.defaultChild as CfnResource);

/** Logical ids a value references (Ref, Fn::GetAtt, Fn::Sub), anywhere inside it. */
function refs(v: unknown): string[] {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, y] of Object.entries(x)) {
        if (k === 'Ref' && typeof y === 'string') out.push(y);
        else if (k === 'Fn::GetAtt' && Array.isArray(y)) out.push(String(y[0]));
        else {
          if (k === 'Fn::Sub') for (const mm of String(Array.isArray(y) ? y[0] : y).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.push(mm[1]!);
          walk(y);
        }
      }
    }
  };
  walk(v);
  return out;
}

const EXPECTED_CONFIG: Record<StageName, string> = {
  dev: 'CodeDeployDefault.LambdaAllAtOnce',
  staging: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  prod: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
};

describe.each(STAGE_NAMES)('%s: CodeDeploy on every live alias', (stage) => {
  const m = testStageConfig(stage).monitoring;
  const groups = () => resources(t(stage), 'AWS::CodeDeploy::DeploymentGroup');

  test('one application, one deployment group per function, the stage deployment style', () => {
    const apps = Object.values(resources(t(stage), 'AWS::CodeDeploy::Application'));
    expect(apps.map((a) => withoutTags(a.Properties))).toEqual([{ ApplicationName: `orders-${stage}`, ComputePlatform: 'Lambda' }]);
    const fns = stack(stage).rustFunctions;
    expect(Object.keys(groups())).toHaveLength(fns.length);
    expect(Object.values(groups()).map((g) => g.Properties?.DeploymentGroupName).sort()).toEqual(fns.map((f) => f.binaryName).sort());
    for (const g of Object.values(groups())) {
      expect(g.Properties?.DeploymentConfigName).toBe(EXPECTED_CONFIG[stage]);
      expect(g.Properties?.DeploymentStyle).toEqual({ DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' });
    }
  });

  test('each alias hands its updates to its deployment group (CodeDeployLambdaAliasUpdate)', () => {
    for (const fn of stack(stage).rustFunctions) {
      const group = stack(stage).deployments.deployments.find((d) => d.fn === fn)!.group!;
      expect(all(stage)[aliasId(fn)]?.UpdatePolicy).toEqual({
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: idOf(stack(stage).deployments.application!.node.defaultChild as CfnResource) },
          DeploymentGroupName: { Ref: idOf(group.node.defaultChild as CfnResource) },
        },
      });
    }
  });

  test('rollback: on failure, on stop, and while an alias alarm (errors, p99 duration of the alias) is in ALARM', () => {
    for (const fn of stack(stage).rustFunctions) {
      const d = stack(stage).deployments.deployments.find((x) => x.fn === fn)!;
      const g = all(stage)[idOf(d.group!.node.defaultChild as CfnResource)]!;
      expect(g.Properties?.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
      const alarmIds = (g.Properties?.AlarmConfiguration.Alarms as any[]).map((a) => a.Name.Ref as string);
      expect(g.Properties?.AlarmConfiguration.Enabled).toBe(true);
      expect(alarmIds).toHaveLength(2);
      const alarms = alarmIds.map((id) => all(stage)[id]!.Properties!);
      // Alias metrics: FunctionName plus Resource = <function name>:live.
      const aliasDims = [
        { Name: 'FunctionName', Value: { Ref: fnId(fn) } },
        { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: fnId(fn) }, ':live']] } },
      ];
      const [errors, duration] = alarms.map((a) => ({ a, metric: onlyOne(alarmMetrics(a), 'metric') }));
      expect(errors!.metric).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Stat: 'Sum', Dimensions: aliasDims, Period: m.rollback.period.toSeconds() });
      expect(errors!.a).toMatchObject({ Threshold: m.rollback.maxErrors, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      expect(duration!.metric).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Duration', Stat: 'p99', Dimensions: aliasDims });
      expect(duration!.a.Threshold).toBe((fn.timeout.toMilliseconds() * m.rollback.maxP99DurationPercentOfTimeout) / 100);
    }
  });

  test("each group's CodeDeploy role: no managed policy; it may move its alias and read its alarms, nothing else", () => {
    const roleIds = new Set<string>();
    for (const d of stack(stage).deployments.deployments) {
      const roleId = idOf(d.role.node.defaultChild as CfnResource);
      roleIds.add(roleId);
      const role = all(stage)[roleId]!;
      expect(role.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
      const group = all(stage)[idOf(d.group!.node.defaultChild as CfnResource)]!;
      expect(group.Properties?.ServiceRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      const statements = Object.values(resources(t(stage), 'AWS::IAM::Policy'))
        .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
        .flatMap((p) => p.Properties?.PolicyDocument.Statement);
      const fnArn = { 'Fn::GetAtt': [fnId(d.fn), 'Arn'] };
      expect(statements).toEqual([
        {
          Sid: 'ShiftLiveAlias',
          Effect: 'Allow',
          Action: ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'],
          Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':live']] }],
        },
        {
          Sid: 'ReadRollbackAlarms',
          Effect: 'Allow',
          Action: 'cloudwatch:DescribeAlarms',
          Resource: expect.arrayContaining(d.rollbackAlarms.map((a) => ({ 'Fn::GetAtt': [idOf(a.node.defaultChild as CfnResource), 'Arn'] }))),
        },
      ]);
      expect(statements[1].Resource).toHaveLength(2);
      // The alias's update policy names the group, which depends on this policy: no Ref back to an alias (a cycle).
      expect(JSON.stringify(statements)).not.toMatch(/LiveAlias[0-9A-F]{8}/);
      expect(group.DependsOn).toEqual(expect.arrayContaining([roleId]));
    }
    expect(roleIds.size).toBe(stack(stage).rustFunctions.length);
  });
});

describe.each(STAGE_NAMES)('%s: every invoker targets the live alias', (stage) => {
  const fnIds = () => new Set(stack(stage).rustFunctions.map(fnId));
  const aliasIds = () => new Set(stack(stage).rustFunctions.map(aliasId));
  const expectAliasOnly = (v: unknown, what: string) => {
    const r = refs(v);
    expect({ what, alias: r.filter((x) => aliasIds().has(x)).length }).toEqual({ what, alias: 1 });
    expect({ what, functions: r.filter((x) => fnIds().has(x)) }).toEqual({ what, functions: [] });
  };

  test('API Gateway integrations', () => {
    const methods = Object.values(resources(t(stage), 'AWS::ApiGateway::Method')).filter((x) => x.Properties?.HttpMethod !== 'OPTIONS');
    expect(methods).toHaveLength(4);
    for (const x of methods) expectAliasOnly(x.Properties?.Integration.Uri, `${x.Properties?.HttpMethod} integration`);
  });

  test('the SQS event source mapping', () => {
    const esm = onlyOne(Object.values(resources(t(stage), 'AWS::Lambda::EventSourceMapping')), 'event source mapping');
    expectAliasOnly(esm.Properties?.FunctionName, 'event source mapping');
    expect(refs(esm.Properties?.FunctionName)).toEqual([aliasId(stack(stage).processOrders)]);
  });

  test('the SNS subscription', () => {
    const sub = onlyOne(
      Object.values(resources(t(stage), 'AWS::SNS::Subscription')).filter((x) => x.Properties?.Protocol === 'lambda'),
      'lambda subscription',
    );
    expect(sub.Properties?.Endpoint).toEqual({ Ref: aliasId(stack(stage).notifyCustomer) });
  });

  test("the state machine's DefinitionSubstitutions", () => {
    const sm = onlyOne(Object.values(resources(t(stage), 'AWS::StepFunctions::StateMachine')), 'state machine');
    const subs = sm.Properties?.DefinitionSubstitutions as Record<string, unknown>;
    const saga = stack(stage).sagaFunctions;
    expect(Object.values(subs).map((v) => refs(v)).sort()).toEqual([saga.payments, saga.inventory, saga.settleOrder].map((f) => [aliasId(f)]).sort());
  });

  test('every invoke permission is on an alias; no pipe targets a function', () => {
    const perms = Object.values(resources(t(stage), 'AWS::Lambda::Permission')).filter((p) => refs(p.Properties?.FunctionName).some((r) => fnIds().has(r) || aliasIds().has(r)));
    expect(perms.length).toBeGreaterThanOrEqual(5); // 4 API methods + the SNS subscription
    for (const p of perms) expectAliasOnly(p.Properties?.FunctionName, `permission for ${p.Properties?.Principal}`);
    for (const pipe of Object.values(resources(t(stage), 'AWS::Pipes::Pipe'))) {
      expect(JSON.stringify(pipe.Properties?.Target)).not.toMatch(/lambda|Function/i);
    }
  });
});

describe.each(STAGE_NAMES)('%s: the template has no dependency cycle', (stage) => {
  test('Ref, Fn::GetAtt, Fn::Sub and DependsOn form no cycle (alias update policies name their groups)', () => {
    const res = all(stage);
    const edges = new Map<string, Set<string>>();
    for (const [id, r] of Object.entries(res)) {
      const out = new Set<string>([...asArray<string>(r.DependsOn), ...refs(r.Properties), ...refs(r.UpdatePolicy)]);
      edges.set(id, new Set([...out].filter((d) => d in res)));
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const cycle: string[] = [];
    const visit = (id: string, path: string[]): boolean => {
      if (state.get(id) === 'done') return false;
      if (state.get(id) === 'visiting') {
        cycle.push(...path.slice(path.indexOf(id)), id);
        return true;
      }
      state.set(id, 'visiting');
      for (const d of edges.get(id) ?? []) if (visit(d, [...path, id])) return true;
      state.set(id, 'done');
      return false;
    };
    for (const id of edges.keys()) if (visit(id, [])) break;
    expect(cycle).toEqual([]);
  });
});

describe('stable versions', () => {
  const versions = (app: ReturnType<typeof buildTestApp>, stage: StageName) =>
    Object.fromEntries(
      app.stages.get(stage)!.service.rustFunctions.map((fn) => {
        const tpl = app.template(stage).toJSON().Resources as Resources;
        const versionIds = Object.entries(tpl).filter(([, r]) => r.Type === 'AWS::Lambda::Version' && r.Properties?.FunctionName.Ref === fnId(fn));
        return [fn.binaryName, { version: onlyOne(versionIds, 'version')[0], s3Key: tpl[fnId(fn)]!.Properties?.Code.S3Key }];
      }),
    );

  test('two syntheses with the same inputs: the same version logical ids and asset keys', () => {
    const second = buildTestApp({}, false);
    for (const stage of STAGE_NAMES) {
      const a = versions(testApp, stage);
      expect(Object.keys(a)).toHaveLength(9);
      expect(versions(second, stage)).toEqual(a);
    }
  });

  test('a different source hash gives new versions', () => {
    const other = buildTestApp({ [SOURCE_HASH_CONTEXT]: 'other-source-hash' }, false);
    const a = versions(testApp, 'dev');
    const b = versions(other, 'dev');
    for (const name of Object.keys(a)) {
      expect(b[name]!.s3Key).not.toBe(a[name]!.s3Key);
      expect(b[name]!.version).not.toBe(a[name]!.version);
    }
  });

  /** The variables contracts/functions.json gives get-order (RustLambda checks them). */
  const getOrderEnv = { ORDERS_TABLE_NAME: 'orders', ALLOWED_ORIGINS: 'http://localhost:3000' };

  /** One RustLambda in its own app, as the stacks build it. */
  function single(build?: Partial<RustLambdaBuild>): { s3Key: string; version: string } {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], [SOURCE_HASH_CONTEXT]: 'test-source-hash' } });
    const s = new Stack(app, 'S');
    const fn = new RustLambda(s, 'Fn', { binaryName: 'get-order', config: testStageConfig('dev'), environment: getOrderEnv, build });
    const tpl = Template.fromStack(s).toJSON().Resources as Resources;
    const version = onlyOne(Object.entries(tpl).filter(([, r]) => r.Type === 'AWS::Lambda::Version'), 'version')[0];
    return { s3Key: tpl[fnId(fn)]!.Properties?.Code.S3Key, version };
  }

  test('a change to a build setting changes the asset hash (and so the version); the same settings do not', () => {
    const base = single();
    expect(single({})).toEqual(base);
    expect(single({ architecture: Architecture.ARM_64, profile: 'release', features: [] })).toEqual(base);
    const changed = [
      single({ architecture: Architecture.X86_64 }),
      single({ features: ['simulated-provider'] }),
      single({ profile: 'release-small' }),
      single({ cargoLambdaFlags: ['--locked'] }),
      single({ environment: { RUSTFLAGS: '-C target-cpu=neoverse-n1' } }),
    ];
    for (const c of changed) {
      expect(c.s3Key).not.toBe(base.s3Key);
      expect(c.version).not.toBe(base.version);
    }
    expect(new Set(changed.map((c) => c.s3Key)).size).toBe(changed.length);
  });

  test('each function is built as its own package (no other member\'s features in its binary), then its features and flags', () => {
    expect(cargoLambdaFlags('create-order', DEFAULT_RUST_BUILD)).toEqual(['--package', 'create-order']);
    expect(cargoLambdaFlags('payments', { ...DEFAULT_RUST_BUILD, features: ['a', 'b'], cargoLambdaFlags: ['--locked'] })).toEqual([
      '--package',
      'payments',
      '--features',
      'a,b',
      '--locked',
    ]);
  });

  test('the architecture of the function follows the build setting', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], [SOURCE_HASH_CONTEXT]: 'x' } });
    const s = new Stack(app, 'S');
    new RustLambda(s, 'Fn', {
      binaryName: 'get-order',
      config: testStageConfig('dev'),
      environment: getOrderEnv,
      build: { architecture: Architecture.X86_64 },
    });
    const fns = Object.values(Template.fromStack(s).toJSON().Resources as Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns.map((f) => asArray(f.Properties?.Architectures))).toEqual([['x86_64']]);
  });
});
