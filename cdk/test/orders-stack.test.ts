import { Match } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_NAMES, type StageName } from '../lib/config';
import { SAGA_FUNCTION_DESCRIPTIONS } from '../lib/saga-functions';
import {
  asArray,
  buildTestApp,
  functionByDescription,
  onlyOne,
  parseJsonTemplate,
  resources,
  statementsOfFunction, testStageConfig } from './helpers';

const CONTRACTS = join(__dirname, '..', '..', 'contracts', 'schemas');
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

const testApp = buildTestApp();
const dev = () => testApp.template('dev');

const FUNCTIONS = [
  { description: 'POST /orders', binary: 'create-order' },
  { description: 'GET /orders/{orderId}', binary: 'get-order' },
  { description: 'GET /orders', binary: 'list-orders' },
] as const;
/** Every function of the stack (the API ones above plus the order pipeline; messaging.test.ts covers the latter's IAM). */
const ALL_FUNCTIONS = [
  ...FUNCTIONS,
  { description: 'POST /orders/{orderId}/cancel', binary: 'cancel-order' },
  { description: 'Moves new orders PENDING to PROCESSING and starts their saga (SQS)', binary: 'process-orders' },
  { description: 'Sends customer notifications per status (SNS)', binary: 'notify-customer' },
  // The saga's functions (saga.test.ts covers their IAM).
  { description: SAGA_FUNCTION_DESCRIPTIONS.payments, binary: 'payments' },
  { description: SAGA_FUNCTION_DESCRIPTIONS.inventory, binary: 'inventory' },
  { description: SAGA_FUNCTION_DESCRIPTIONS.settleOrder, binary: 'settle-order' },
] as const;

const tableArn = () => ({ 'Fn::GetAtt': [onlyOne(Object.keys(resources(dev(), 'AWS::DynamoDB::Table')), 'table'), 'Arn'] });
const indexArn = (name: string) => ({ 'Fn::Join': ['', [tableArn(), `/index/${name}`]] });
const logGroupArnOf = (fnId: string) => ({
  'Fn::GetAtt': [resources(dev())[fnId]?.Properties?.LoggingConfig.LogGroup.Ref, 'Arn'],
});
const LEADING_KEYS = (...prefixes: string[]) => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) },
  Null: { 'dynamodb:LeadingKeys': 'false' },
});
const XRAY = {
  Effect: 'Allow',
  Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  Resource: '*',
};

describe('least-privilege IAM per function', () => {
  test('create-order: PutItem only on ORDER# and IDEMPOTENCY# keys, GetItem only on IDEMPOTENCY# keys', () => {
    const [id] = functionByDescription(dev(), 'POST /orders');
    expect(statementsOfFunction(dev(), id)).toEqual(
      expect.arrayContaining([
        {
          Sid: 'PutOrdersAndIdempotencyRecords',
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: tableArn(),
          Condition: LEADING_KEYS('ORDER#', 'IDEMPOTENCY#'),
        },
        {
          Sid: 'ReadIdempotencyRecords',
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: tableArn(),
          Condition: LEADING_KEYS('IDEMPOTENCY#'),
        },
      ]),
    );
    expect(statementsOfFunction(dev(), id)).toHaveLength(4);
  });

  test('get-order: GetItem only on ORDER# keys', () => {
    const [id] = functionByDescription(dev(), 'GET /orders/{orderId}');
    expect(statementsOfFunction(dev(), id)).toEqual(
      expect.arrayContaining([{ Sid: 'GetOrders', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn(), Condition: LEADING_KEYS('ORDER#') }]),
    );
    expect(statementsOfFunction(dev(), id)).toHaveLength(3);
  });

  test('list-orders: Query on the two indexes only, on their partitions (never the table, never Scan)', () => {
    const [id] = functionByDescription(dev(), 'GET /orders');
    expect(statementsOfFunction(dev(), id)).toEqual(
      expect.arrayContaining([
        {
          Sid: 'QueryOrderIndexes',
          Effect: 'Allow',
          Action: 'dynamodb:Query',
          Resource: expect.arrayContaining([indexArn('byStatus'), indexArn('byCreatedAt')]),
          Condition: LEADING_KEYS('STATUS#', 'ORDERS#'),
        },
      ]),
    );
    const query = statementsOfFunction(dev(), id).find((st) => st.Sid === 'QueryOrderIndexes');
    expect(query.Resource).toHaveLength(2);
    expect(statementsOfFunction(dev(), id)).toHaveLength(3);
  });

  test.each(FUNCTIONS)('$binary: exactly its own log group, X-Ray and its DynamoDB actions', ({ description }) => {
    const [id] = functionByDescription(dev(), description);
    const statements = statementsOfFunction(dev(), id);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Sid: 'WriteOwnLogGroup',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: logGroupArnOf(id),
        },
        XRAY,
      ]),
    );
    const actions = statements.flatMap((s) => asArray(s.Action)).sort();
    const expected = {
      'POST /orders': ['dynamodb:GetItem', 'dynamodb:PutItem'],
      'GET /orders/{orderId}': ['dynamodb:GetItem'],
      'GET /orders': ['dynamodb:Query'],
    }[description];
    expect(actions).toEqual(
      [...expected, 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
    );
    // The only Resource "*" is X-Ray's (no resource-level permissions there).
    for (const s of statements) {
      if (asArray(s.Resource).includes('*')) expect(s).toEqual(XRAY);
    }
  });

  test('function roles carry no managed policies', () => {
    for (const role of Object.values(resources(dev(), 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  test.each(STAGE_NAMES)('%s: no IAM statement anywhere has a wildcard action', (stage) => {
    const t = testApp.template(stage);
    const docs = [
      ...Object.values(resources(t, 'AWS::IAM::Policy')).map((p) => p.Properties?.PolicyDocument),
      ...Object.values(resources(t, 'AWS::IAM::Role')).flatMap((r) => [
        r.Properties?.AssumeRolePolicyDocument,
        ...(r.Properties?.Policies ?? []).map((p: any) => p.PolicyDocument),
      ]),
    ];
    const actions = docs.flatMap((d) => (d?.Statement ?? []).flatMap((s: any) => [...asArray(s.Action), ...asArray(s.NotAction)]));
    expect(actions.length).toBeGreaterThan(0);
    for (const a of actions) {
      expect(a).not.toBe('*');
      expect(a).not.toMatch(/\*/);
    }
  });
});

describe('Lambda functions', () => {
  test.each(ALL_FUNCTIONS)('$binary: arm64, provided.al2023, active tracing, JSON logs to its log group', ({ description }) => {
    const [, fn] = functionByDescription(dev(), description);
    expect(fn.Properties).toMatchObject({
      Architectures: ['arm64'],
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
    });
  });

  test.each(FUNCTIONS)('$binary: API function environment (exactly)', ({ description }) => {
    const [, fn] = functionByDescription(dev(), description);
    expect(fn.Properties?.Environment.Variables).toEqual({
      ORDERS_TABLE_NAME: { Ref: onlyOne(Object.keys(resources(dev(), 'AWS::DynamoDB::Table')), 'table') },
      STAGE: 'dev',
      RUST_LOG: 'info',
      METRICS_NAMESPACE: 'Orders',
      ALLOWED_ORIGINS: 'http://localhost:3000',
    });
  });

  test.each(STAGE_NAMES)('%s: every function gets the environment docs/cdk.md promises all of them', (stage) => {
    const fns = Object.values(resources(testApp.template(stage), 'AWS::Lambda::Function')).filter(
      (f) => f.Properties?.Runtime === 'provided.al2023',
    );
    expect(fns).toHaveLength(ALL_FUNCTIONS.length);
    for (const fn of fns) {
      expect(fn.Properties?.Environment.Variables).toMatchObject({
        ORDERS_TABLE_NAME: { Ref: expect.any(String) },
        STAGE: stage,
        RUST_LOG: 'info',
        METRICS_NAMESPACE: 'Orders',
      });
    }
  });

  test.each(ALL_FUNCTIONS)('$binary: a `live` alias on the current version', ({ description }) => {
    const [id] = functionByDescription(dev(), description);
    const alias = onlyOne(
      Object.values(resources(dev(), 'AWS::Lambda::Alias')).filter((a) => a.Properties?.FunctionName.Ref === id),
      'alias',
    );
    expect(alias.Properties?.Name).toBe('live');
    const versionId = alias.Properties?.FunctionVersion['Fn::GetAtt'][0];
    expect(resources(dev())[versionId]).toMatchObject({ Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: id } } });
  });

  test('API Gateway invokes the live aliases, never $LATEST', () => {
    const aliasIds = Object.keys(resources(dev(), 'AWS::Lambda::Alias'));
    const perms = Object.values(resources(dev(), 'AWS::Lambda::Permission')).filter(
      (p) => p.Properties?.Principal === 'apigateway.amazonaws.com',
    );
    expect(perms).toHaveLength(4);
    for (const p of perms) {
      expect(aliasIds).toContain(p.Properties?.FunctionName.Ref);
      expect(p.Properties?.Principal).toBe('apigateway.amazonaws.com');
    }
    for (const m of Object.values(resources(dev(), 'AWS::ApiGateway::Method'))) {
      if (m.Properties?.HttpMethod === 'OPTIONS') continue;
      expect(m.Properties?.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(m.Properties?.Integration.Uri)).toMatch(/LiveAlias/);
    }
  });

  test('each function uses one asset, the same in every stage (bundled once per synth)', () => {
    const key = (stage: StageName, description: string) =>
      functionByDescription(testApp.template(stage), description)[1].Properties.Code.S3Key;
    for (const { description } of ALL_FUNCTIONS) {
      expect(key('staging', description)).toBe(key('dev', description));
      expect(key('prod', description)).toBe(key('dev', description));
    }
    expect(new Set(ALL_FUNCTIONS.map((f) => key('dev', f.description))).size).toBe(ALL_FUNCTIONS.length);
  });
});

describe('REST API', () => {
  const methods = () => Object.values(resources(dev(), 'AWS::ApiGateway::Method'));

  test('every method except CORS preflight requires an API key', () => {
    const nonOptions = methods().filter((m) => m.Properties?.HttpMethod !== 'OPTIONS');
    expect(nonOptions.map((m) => m.Properties?.HttpMethod).sort()).toEqual(['GET', 'GET', 'POST', 'POST']);
    for (const m of nonOptions) expect(m.Properties?.ApiKeyRequired).toBe(true);
    for (const m of methods().filter((m) => m.Properties?.HttpMethod === 'OPTIONS')) {
      expect(m.Properties?.ApiKeyRequired).not.toBe(true);
    }
  });

  test('resources: /orders, /orders/{orderId} and /orders/{orderId}/cancel', () => {
    const paths = Object.values(resources(dev(), 'AWS::ApiGateway::Resource')).map((r) => r.Properties?.PathPart).sort();
    expect(paths).toEqual(['cancel', 'orders', '{orderId}']);
  });

  test('POST /orders/{orderId}/cancel: cancel-order alias, API key, path parameter validated, no body model', () => {
    const [cancelId, cancel] = onlyOne(
      Object.entries(resources(dev(), 'AWS::ApiGateway::Resource')).filter(([, r]) => r.Properties?.PathPart === 'cancel'),
      'cancel resource',
    );
    const [orderId] = onlyOne(
      Object.entries(resources(dev(), 'AWS::ApiGateway::Resource')).filter(([, r]) => r.Properties?.PathPart === '{orderId}'),
      '{orderId} resource',
    );
    expect(cancel.Properties?.ParentId).toEqual({ Ref: orderId });
    const onCancel = methods().filter((m) => m.Properties?.ResourceId.Ref === cancelId);
    expect(onCancel.map((m) => m.Properties?.HttpMethod).sort()).toEqual(['OPTIONS', 'POST']);
    const post = onlyOne(onCancel.filter((m) => m.Properties?.HttpMethod === 'POST'), 'POST cancel');
    const validatorId = onlyOne(Object.keys(resources(dev(), 'AWS::ApiGateway::RequestValidator')), 'validator');
    expect(post.Properties).toMatchObject({
      ApiKeyRequired: true,
      OperationName: 'CancelOrder',
      RequestValidatorId: { Ref: validatorId },
      RequestParameters: { 'method.request.path.orderId': true },
      Integration: { Type: 'AWS_PROXY' },
    });
    expect(post.Properties?.RequestModels).toBeUndefined();
    const [cancelFn] = functionByDescription(dev(), 'POST /orders/{orderId}/cancel');
    const aliasId = onlyOne(
      Object.entries(resources(dev(), 'AWS::Lambda::Alias')).filter(([, a]) => a.Properties?.FunctionName.Ref === cancelFn),
      'cancel alias',
    )[0];
    expect(JSON.stringify(post.Properties?.Integration.Uri)).toContain(aliasId);
  });

  test.each(STAGE_NAMES)('%s: usage plan throttles 100/200 with a monthly quota, bound to the key and stage', (stage) => {
    const t = testApp.template(stage);
    const quota = { dev: 100_000, staging: 1_000_000, prod: 100_000_000 }[stage];
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: { Limit: quota, Period: 'MONTH' },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    t.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', { KeyType: 'API_KEY' });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
  });

  test('POST /orders validates the body against the contract schema', () => {
    const validatorId = onlyOne(Object.keys(resources(dev(), 'AWS::ApiGateway::RequestValidator')), 'validator');
    expect(resources(dev())[validatorId]?.Properties).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
    const [modelId, model] = onlyOne(Object.entries(resources(dev(), 'AWS::ApiGateway::Model')), 'model');
    expect(model.Properties?.ContentType).toBe('application/json');
    // One file, two readers: the model IS the contract (draft 4).
    expect(model.Properties?.Schema).toEqual(readJson(join(CONTRACTS, 'create-order.schema.json')));
    const post = onlyOne(methods().filter((m) => m.Properties?.OperationName === 'CreateOrder'), 'POST /orders');
    expect(post.Properties).toMatchObject({
      RequestValidatorId: { Ref: validatorId },
      RequestModels: { 'application/json': { Ref: modelId } },
      RequestParameters: { 'method.request.header.Idempotency-Key': false },
    });
  });

  test('GET /orders/{orderId} requires and validates the path parameter', () => {
    const validatorId = onlyOne(Object.keys(resources(dev(), 'AWS::ApiGateway::RequestValidator')), 'validator');
    const getOrder = onlyOne(
      methods().filter((m) => m.Properties?.HttpMethod === 'GET' && m.Properties?.RequestParameters),
      'GET with parameters',
    );
    expect(getOrder.Properties).toMatchObject({
      RequestParameters: { 'method.request.path.orderId': true },
      RequestValidatorId: { Ref: validatorId },
    });
  });

  test('CORS preflight allows the stage origin and the API headers', () => {
    for (const m of methods().filter((m) => m.Properties?.HttpMethod === 'OPTIONS')) {
      const headers = m.Properties?.Integration.IntegrationResponses[0].ResponseParameters;
      expect(headers['method.response.header.Access-Control-Allow-Origin']).toBe("'http://localhost:3000'");
      const allowed = headers['method.response.header.Access-Control-Allow-Headers'].replace(/'/g, '').split(',');
      expect(allowed).toEqual(expect.arrayContaining(['Content-Type', 'x-api-key', 'Idempotency-Key']));
    }
    const prodOptions = Object.values(resources(testApp.template('prod'), 'AWS::ApiGateway::Method')).filter(
      (m) => m.Properties?.HttpMethod === 'OPTIONS',
    );
    expect(prodOptions[0]?.Properties?.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(
      "'https://orders.example.com'",
    );
  });

  test('gateway responses use the functions\' error model', () => {
    const errorSchema = readJson(join(CONTRACTS, 'error.schema.json'));
    const codes: string[] = errorSchema.properties.error.properties.code.enum;
    const responses = Object.values(resources(dev(), 'AWS::ApiGateway::GatewayResponse'));
    const byType = Object.fromEntries(responses.map((r) => [r.Properties?.ResponseType, r.Properties]));
    const expected: Record<string, [string | undefined, string]> = {
      ACCESS_DENIED: ['403', 'FORBIDDEN'],
      INVALID_API_KEY: ['403', 'FORBIDDEN'],
      BAD_REQUEST_BODY: ['400', 'VALIDATION_FAILED'],
      BAD_REQUEST_PARAMETERS: ['400', 'VALIDATION_FAILED'],
      THROTTLED: ['429', 'THROTTLED'],
      QUOTA_EXCEEDED: ['429', 'THROTTLED'],
      DEFAULT_4XX: [undefined, 'BAD_REQUEST'],
      DEFAULT_5XX: [undefined, 'INTERNAL'],
    };
    for (const [type, [status, code]] of Object.entries(expected)) {
      const r = byType[type];
      expect(r).toBeDefined();
      expect(r.StatusCode).toBe(status);
      expect(r.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/json'");
      const body = parseJsonTemplate(r.ResponseTemplates['application/json']);
      expect(body.error.code).toBe(code);
      expect(body.error.requestId).toBe('$context.requestId');
    }
    for (const r of responses) {
      const body = parseJsonTemplate(r.Properties?.ResponseTemplates['application/json']);
      expect(Object.keys(body)).toEqual(['error']);
      expect(codes).toContain(body.error.code);
      for (const d of body.error.details) expect(Object.keys(d).sort()).toEqual(['field', 'problem']);
    }
    // API Gateway's message, which it substitutes already quoted (gateway-templates.test.ts renders it).
    expect(parseJsonTemplate(byType.BAD_REQUEST_BODY.ResponseTemplates['application/json']).error.message).toBe(
      '$context.error.messageString',
    );
  });

  test('stage: named after the stage, tracing on, JSON access logs', () => {
    for (const stage of STAGE_NAMES) {
      const t = testApp.template(stage);
      const [, s] = onlyOne(Object.entries(resources(t, 'AWS::ApiGateway::Stage')), 'stage');
      expect(s.Properties?.StageName).toBe(stage);
      expect(s.Properties?.TracingEnabled).toBe(true);
      const format = parseJsonTemplate(s.Properties?.AccessLogSetting.Format);
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect(JSON.stringify(s.Properties?.AccessLogSetting.DestinationArn)).toMatch(/ApiAccessLogs/);
    }
  });

  test('outputs: API URL, API key id, table name, queues and topic', () => {
    const outputs = dev().toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ApiKeyId',
        'ApiUrl',
        'TableName',
        'ProcessingQueueUrl',
        'DeadLetterQueueUrl',
        'PipeDeadLetterQueueUrl',
        'StatusPipeDeadLetterQueueUrl',
        'NotificationsDeadLetterQueueUrl',
        'StateMachineArn',
        'NotificationsTopicArn',
        'OpsTopicArn',
      ].sort(),
    );
  });
});

describe('orders table (docs/data-model.md)', () => {
  test('keys, indexes, TTL, stream, encryption, billing', () => {
    dev().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayEquals([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
        { AttributeName: 'gsi2pk', AttributeType: 'S' },
        { AttributeName: 'gsi2sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'byCreatedAt',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    dev().resourceCountIs('AWS::DynamoDB::Table', 1);
  });
});

describe('per-stage differences', () => {
  const expected = {
    dev: { pitr: false, policy: 'Delete', retention: 7, memory: 256 },
    staging: { pitr: false, policy: 'Retain', retention: 30, memory: 768 },
    prod: { pitr: true, policy: 'Retain', retention: 365, memory: 768 },
  } as const;

  test.each(STAGE_NAMES)('%s', (stage) => {
    const t = testApp.template(stage);
    const e = expected[stage];
    const [, table] = onlyOne(Object.entries(resources(t, 'AWS::DynamoDB::Table')), 'table');
    expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: e.pitr });
    expect(table.DeletionPolicy).toBe(e.policy);
    expect(table.UpdateReplacePolicy).toBe(e.policy);
    expect(table.Properties?.DeletionProtectionEnabled).toBe(stage === 'prod');
    const { seedStock } = testStageConfig(stage).workflow;
    const logGroups = Object.values(resources(t, 'AWS::Logs::LogGroup'));
    // nine functions, API access logs, the two pipes, the saga, and the stock seed's provider where it seeds
    expect(logGroups).toHaveLength(13 + (seedStock ? 1 : 0));
    for (const lg of logGroups) {
      expect(lg.Properties?.RetentionInDays).toBe(e.retention);
      expect(lg.DeletionPolicy).toBe(e.policy);
    }
    const all = Object.values(resources(t, 'AWS::Lambda::Function'));
    const fns = all.filter((f) => f.Properties?.Runtime === 'provided.al2023');
    expect(fns).toHaveLength(9);
    // The only other function is the stock seed's custom-resource provider (saga.test.ts).
    expect(all.length - fns.length).toBe(seedStock ? 1 : 0);
    for (const fn of fns) {
      expect(fn.Properties?.MemorySize).toBe(e.memory);
      // The processor's timeout is its own (config.processor.timeout).
      expect(fn.Properties?.Timeout).toBe(fn.Properties?.Description.endsWith('(SQS)') ? 20 : 10);
      expect(fn.Properties?.Environment.Variables.STAGE).toBe(stage);
    }
  });

  test('stacks are Orders-<stage>/Service; prod has termination protection', () => {
    for (const stage of STAGE_NAMES) {
      const s = testApp.stages.get(stage)!.service;
      expect(s.node.path).toBe(`Orders-${stage}/Service`);
      expect(s.stackName).toBe(`Orders-${stage}-Service`);
      expect(s.terminationProtection).toBe(stage === 'prod');
    }
  });
});

describe('snapshot', () => {
  test('dev template', () => {
    // Asset hashes depend on whether cargo-lambda is installed (the bundling
    // image name is part of the hash); version/deployment ids follow them.
    const json = JSON.stringify(dev().toJSON(), null, 1)
      .replace(/[0-9a-f]{64}/g, '<asset-hash>')
      .replace(/CurrentVersion([0-9A-F]{8})[0-9a-f]{32}/g, 'CurrentVersion$1<hash>');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});
