import { Stage } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_NAMES, type StageName } from '../lib/config';
import { ORDER_SAGA_DEFINITION_PATH, SAGA_SUBSTITUTIONS } from '../lib/order-saga';
import { SAGA_FUNCTION_DESCRIPTIONS } from '../lib/saga-functions';
import { readStockSeed, SEED_UPDATED_AT } from '../lib/stock-seed';
import { alarmMetrics, alarmsOf, asArray, buildTestApp, expectServiceRoleOfThisAccount, functionByDescription, onlyOne, resources, statementsOfFunction, type Resources, testStageConfig } from './helpers';

const testApp = buildTestApp({}, false);
const t = (s: StageName) => testApp.template(s);
const all = (s: StageName): Resources => resources(t(s));
const ofType = (s: StageName, type: string): Resources => resources(t(s), type);

const PROCESSOR = 'Moves new orders PENDING to PROCESSING and starts their saga (SQS)';
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const LEADING_KEYS = (...prefixes: string[]) => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) },
  Null: { 'dynamodb:LeadingKeys': 'false' },
});

const stateMachineId = (s: StageName) => onlyOne(Object.keys(ofType(s, 'AWS::StepFunctions::StateMachine')), 'state machine');
const stateMachine = (s: StageName) => all(s)[stateMachineId(s)]!;
const tableId = (s: StageName) => onlyOne(Object.keys(ofType(s, 'AWS::DynamoDB::Table')), 'table');
const tableArn = (s: StageName) => ({ 'Fn::GetAtt': [tableId(s), 'Arn'] });
const aliasIdOf = (s: StageName, description: string) => {
  const [fnId] = functionByDescription(t(s), description);
  return onlyOne(
    Object.keys(ofType(s, 'AWS::Lambda::Alias')).filter((id) => all(s)[id]?.Properties?.FunctionName.Ref === fnId),
    `alias of ${description}`,
  );
};
const sagaAliases = (s: StageName): Record<string, string> => ({
  [SAGA_SUBSTITUTIONS.payments]: aliasIdOf(s, SAGA_FUNCTION_DESCRIPTIONS.payments),
  [SAGA_SUBSTITUTIONS.inventory]: aliasIdOf(s, SAGA_FUNCTION_DESCRIPTIONS.inventory),
  [SAGA_SUBSTITUTIONS.settleOrder]: aliasIdOf(s, SAGA_FUNCTION_DESCRIPTIONS.settleOrder),
});
const roleStatements = (s: StageName, roleId: string): any[] =>
  Object.values(ofType(s, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement);
const actionsOf = (statements: any[]): string[] => [...new Set(statements.flatMap((st) => asArray<string>(st.Action)))].sort();

/**
 * Upper bound of an execution's duration: the longest path through the
 * states (Next, Choices, Default, Catch), each Task taking all its attempts
 * (1 + MaxAttempts) at min(TimeoutSeconds, the function timeout) plus its
 * retry waits (IntervalSeconds x BackoffRate^n).
 */
function longestPathSeconds(definition: any, functionTimeout: number): number {
  const memo = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    if (seen.has(name)) throw new Error(`cycle through ${name}: no bound`);
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    const st = definition.States[name];
    let own = 0;
    if (st.Type === 'Task') {
      const attempt = Math.min(st.TimeoutSeconds ?? 60, functionTimeout);
      const retry = Math.max(0, ...(st.Retry ?? []).map((r: any) => r.MaxAttempts ?? 3));
      const r = (st.Retry ?? [])[0] ?? {};
      let waits = 0;
      for (let i = 0; i < retry; i++) waits += (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i;
      own = (1 + retry) * attempt + waits;
    }
    const next = [st.Next, st.Default, ...(st.Choices ?? []).map((c: any) => c.Next), ...(st.Catch ?? []).map((c: any) => c.Next)].filter(
      (n): n is string => typeof n === 'string',
    );
    const inner = new Set(seen).add(name);
    const total = own + Math.max(0, ...next.map((n) => visit(n, inner)));
    memo.set(name, total);
    return total;
  };
  return visit(definition.StartAt, new Set());
}

describe.each(STAGE_NAMES)('%s: order saga state machine', (stage) => {
  const config = testStageConfig(stage);

  test('workflow config: Standard with ALL logs and execution data in dev; Express, ERROR, no data in staging and prod', () => {
    expect(config.workflow).toEqual(
      stage === 'dev'
        ? { type: 'STANDARD', logLevel: 'ALL', includeExecutionData: true, seedStock: true }
        : { type: 'EXPRESS', logLevel: 'ERROR', includeExecutionData: false, seedStock: stage === 'staging' },
    );
  });

  test('type, X-Ray tracing and logging from the stage config, to its own log group', () => {
    const p = stateMachine(stage).Properties!;
    expect(p.StateMachineType).toBe(config.workflow.type);
    expect(p.TracingConfiguration).toEqual({ Enabled: true });
    const logGroupId = onlyOne(
      Object.keys(ofType(stage, 'AWS::Logs::LogGroup')).filter((id) => id.startsWith('SagaLogGroup')),
      'saga log group',
    );
    expect(p.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      Level: config.workflow.logLevel,
      IncludeExecutionData: config.workflow.includeExecutionData,
    });
    // Unique per stack creation: a retained log group of a deleted stack does not block a new one.
    expect(all(stage)[logGroupId]?.Properties?.LogGroupName).toEqual({
      'Fn::Join': [
        '',
        [`/aws/vendedlogs/states/Orders-${stage}-Service-OrderSaga-`, { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }],
      ],
    });
  });

  test('the definition is the ASL file as it is, its substitutions the three live aliases', () => {
    const p = stateMachine(stage).Properties!;
    expect(p.DefinitionString).toBeUndefined();
    // DefinitionBody.fromFile: the file is an asset; what is uploaded is the file, byte for byte.
    const stack = testApp.stages.get(stage)!.service;
    const asset = stack.saga.stateMachine.node.findChild('DefinitionBody') as Asset;
    expect(p.DefinitionS3Location).toEqual({ Bucket: expect.anything(), Key: asset.s3ObjectKey });
    const staged = readFileSync(join(Stage.of(stack)!.outdir, asset.assetPath), 'utf8');
    const file = readFileSync(ORDER_SAGA_DEFINITION_PATH, 'utf8');
    expect(staged).toBe(file);
    // Exactly the file's placeholders are substituted, each by an alias ARN.
    const placeholders = [...new Set([...file.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]))].sort();
    expect(placeholders).toEqual(Object.values(SAGA_SUBSTITUTIONS).sort());
    const aliases = sagaAliases(stage);
    expect(p.DefinitionSubstitutions).toEqual(Object.fromEntries(Object.entries(aliases).map(([k, id]) => [k, { Ref: id }])));
    // The definition with the substitutions applied: every Task invokes one of the aliases.
    const rendered = JSON.parse(file.replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, name: string) => `alias:${aliases[name]}`));
    const tasks = Object.values(rendered.States as Record<string, any>).filter((st) => st.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      expect(task.Resource).toBe('arn:aws:states:::lambda:invoke');
      expect(Object.values(aliases).map((id) => `alias:${id}`)).toContain(task.Parameters.FunctionName);
    }
  });

  test("every task outlasts its function's timeout, and the longest path fits the workflow's TimeoutSeconds, itself within an Express execution's 5 minutes", () => {
    const timeouts = Object.values(SAGA_FUNCTION_DESCRIPTIONS).map((d) => functionByDescription(t(stage), d)[1].Properties?.Timeout as number);
    const definition = JSON.parse(readFileSync(ORDER_SAGA_DEFINITION_PATH, 'utf8'));
    const tasks = Object.values(definition.States as Record<string, any>).filter((st) => st.Type === 'Task');
    // The function's own timeout fires first (Sandbox.Timedout, retried): a
    // task timeout below it would abandon an invocation that may still commit.
    for (const task of tasks) expect(task.TimeoutSeconds).toBeGreaterThan(Math.max(...timeouts));
    const worst = longestPathSeconds(definition, Math.max(...tasks.map((task) => task.TimeoutSeconds as number)));
    // Charge, Reserve, Complete failing, Release, Refund, MarkProcessingError: six tasks of three attempts.
    expect(worst).toBe(6 * (3 * 12 + 2 + 4));
    expect(worst).toBeLessThanOrEqual(definition.TimeoutSeconds);
    expect(definition.TimeoutSeconds).toBeLessThan(300);
  });

  test('role: trusted by Step Functions of this account; may invoke exactly the three aliases, nothing else', () => {
    const roleId = stateMachine(stage).Properties?.RoleArn['Fn::GetAtt'][0] as string;
    const role = all(stage)[roleId]!;
    expectServiceRoleOfThisAccount(role, 'states.amazonaws.com');
    const statements = roleStatements(stage, roleId);
    const invoke = statements.filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('lambda:')));
    expect(invoke).toEqual([
      {
        Sid: 'InvokeSagaFunctionAliases',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: expect.arrayContaining(Object.values(sagaAliases(stage)).map((id) => ({ Ref: id }))),
      },
    ]);
    expect(invoke[0].Resource).toHaveLength(3);
    // No unqualified function ARN, no wildcard: only the aliases.
    expect(JSON.stringify(invoke)).not.toMatch(/Function[0-9A-F]{8}"/);
    // Everything else is X-Ray and CloudWatch Logs delivery (no resource-level permissions there).
    for (const st of statements.filter((x) => x !== invoke[0])) {
      for (const a of asArray<string>(st.Action)) expect(a).toMatch(/^(xray|logs):/);
    }
  });

  test('alarms on failed (a compensation kept failing), timed-out and throttled executions', () => {
    const alarms = alarmsOf(t(stage)).filter((a) => alarmMetrics(a).some((m) => m.Namespace === 'AWS/States'));
    expect(alarms.flatMap((a) => alarmMetrics(a).map((m) => m.MetricName)).sort()).toEqual(['ExecutionThrottled', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const a of alarms) {
      expect(alarmMetrics(a)).toEqual([
        expect.objectContaining({ Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachineId(stage) } }], Stat: 'Sum' }),
      ]);
      expect(a).toMatchObject({
        // More than 0: one failed execution is enough.
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  test('the processor may start executions of this state machine only; nothing else may', () => {
    const [id] = functionByDescription(t(stage), PROCESSOR);
    const states = statementsOfFunction(t(stage), id).filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('states:')));
    expect(states).toEqual([
      { Sid: 'StartSagaExecutions', Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachineId(stage) } },
    ]);
    const everywhere = Object.values(ofType(stage, 'AWS::IAM::Policy'))
      .flatMap((p) => p.Properties?.PolicyDocument.Statement)
      .filter((st: any) => asArray<string>(st.Action).some((a) => a.startsWith('states:')));
    expect(everywhere).toHaveLength(1);
  });
});

describe.each(STAGE_NAMES)('%s: saga functions touch only their own items', (stage) => {
  const expected: Record<string, Array<Record<string, unknown>>> = {
    [SAGA_FUNCTION_DESCRIPTIONS.payments]: [
      {
        Sid: 'OrderFence',
        Action: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Condition: LEADING_KEYS('ORDER#'),
      },
      {
        Sid: 'WritePaymentLedger',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Condition: LEADING_KEYS('PAYMENT#', 'PAYMENT_ATTEMPT#'),
      },
    ],
    [SAGA_FUNCTION_DESCRIPTIONS.inventory]: [
      {
        Sid: 'OrderFence',
        Action: ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Condition: LEADING_KEYS('ORDER#'),
      },
      {
        Sid: 'WriteStockAndReservations',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Condition: LEADING_KEYS('RESERVATION#', 'STOCK#'),
      },
    ],
    [SAGA_FUNCTION_DESCRIPTIONS.settleOrder]: [{ Sid: 'UpdateOrders', Action: 'dynamodb:UpdateItem', Condition: LEADING_KEYS('ORDER#') }],
  };

  test.each(Object.keys(expected))('%s', (description) => {
    const [id, fn] = functionByDescription(t(stage), description);
    expect(fn.Properties?.Environment.Variables).toEqual({
      ORDERS_TABLE_NAME: { Ref: tableId(stage) },
      STAGE: stage,
      RUST_LOG: 'info',
      METRICS_NAMESPACE: 'Orders',
    });
    const statements = statementsOfFunction(t(stage), id);
    const dynamo = statements.filter((st) => asArray<string>(st.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual(expected[description]!.map((st) => ({ Effect: 'Allow', Resource: tableArn(stage), ...st })));
    expect(actionsOf(statements)).toEqual([...BASELINE, ...new Set(dynamo.flatMap((st) => asArray<string>(st.Action)))].sort());
  });
});

describe.each(STAGE_NAMES)('%s: stock seeding', (stage) => {
  const { seedStock } = testStageConfig(stage).workflow;
  const seeds = () => Object.values(ofType(stage, 'Custom::StockSeed'));
  /** The SDK call of a custom resource property, with the table reference resolved to `<table>`. */
  const call = (prop: any) =>
    JSON.parse(prop['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : part.Ref === tableId(stage) ? '<table>' : '?')).join(''));

  test(seedStock ? 'one resource per SKU of contracts/stock/seed.json' : 'no seeding', () => {
    expect(seeds()).toHaveLength(seedStock ? readStockSeed().length : 0);
  });

  if (!seedStock) return;

  test('each is a conditional PutItem on create only: never on update or delete, an existing record is kept', () => {
    const bySku = new Map(readStockSeed().map((i) => [i.sku, i.quantity]));
    for (const seed of seeds()) {
      expect(seed.Properties?.Update).toBeUndefined();
      expect(seed.Properties?.Delete).toBeUndefined();
      const create = call(seed.Properties?.Create);
      const sku: string = create.parameters.Item.sku.S;
      expect(create).toEqual({
        service: 'DynamoDB',
        action: 'PutItem',
        parameters: {
          TableName: '<table>',
          Item: {
            pk: { S: `STOCK#${sku}` },
            sk: { S: 'STOCK' },
            sku: { S: sku },
            available: { N: String(bySku.get(sku)) },
            reserved: { N: '0' },
            updatedAt: { S: SEED_UPDATED_AT },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
        physicalResourceId: { id: `STOCK#${sku}` },
      });
      bySku.delete(sku);
    }
    expect([...bySku.keys()]).toEqual([]);
  });

  test('the provider may put STOCK# items into the table and write its own logs; nothing else', () => {
    const providers = Object.entries(ofType(stage, 'AWS::Lambda::Function')).filter(([, f]) => f.Properties?.Runtime !== 'provided.al2023');
    const [, provider] = onlyOne(providers, 'custom resource provider');
    const roleId = provider.Properties?.Role['Fn::GetAtt'][0] as string;
    expect(all(stage)[roleId]?.Properties?.ManagedPolicyArns).toBeUndefined();
    const logGroupId = provider.Properties?.LoggingConfig.LogGroup.Ref as string;
    expect(roleStatements(stage, roleId)).toEqual([
      { Sid: 'PutStockRecords', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: tableArn(stage), Condition: LEADING_KEYS('STOCK#') },
      {
        Sid: 'WriteOwnLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
    // Every seed runs after that policy exists.
    for (const seed of seeds()) expect(seed.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^StockSeedRoleDefaultPolicy/)]));
  });
});

describe('stock seed file', () => {
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'seed-')), 'seed.json');
    writeFileSync(path, text);
    return path;
  };

  test('is checked as orders-core checks it: SKUs 1 to 64 characters and unique, quantities non-negative integers', () => {
    expect(readStockSeed(file('{"items":[{"sku":"a","quantity":0},{"sku":"b","quantity":7}]}'))).toEqual([
      { sku: 'a', quantity: 0 },
      { sku: 'b', quantity: 7 },
    ]);
    expect(() => readStockSeed(file('{"items":[{"sku":"a","quantity":1},{"sku":"a","quantity":2}]}'))).toThrow(/listed twice/);
    expect(() => readStockSeed(file('{"items":[{"sku":"a","quantity":-1}]}'))).toThrow(/non-negative integer/);
    expect(() => readStockSeed(file('{"items":[{"sku":"a","quantity":1.5}]}'))).toThrow(/non-negative integer/);
    expect(() => readStockSeed(file('{"items":[{"sku":"","quantity":1}]}'))).toThrow(/1 to 64/);
    expect(() => readStockSeed(file(`{"items":[{"sku":"${'x'.repeat(65)}","quantity":1}]}`))).toThrow(/1 to 64/);
    expect(() => readStockSeed(file('{"stock":[]}'))).toThrow(/no "items"/);
  });
});
