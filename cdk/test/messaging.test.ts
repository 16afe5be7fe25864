import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_NAMES, type StageName } from '../lib/config';
import { ORDER_CREATED_TEMPLATE_PATH, ORDER_STATUS_CHANGED_TEMPLATE_PATH } from '../lib/order-events-pipe';
import { emailDomain } from '../lib/customer-notifier';
import { CREATED_AT, matches, ORDER_ID, renderQuotingStrings, renderRaw, streamRecord } from './stream-records';
import { asArray, buildTestApp, expectServiceRoleOfThisAccount, functionByDescription, onlyOne, resources, statementsOfFunction, type Resources, testStageConfig, withoutTags } from './helpers';

const testApp = buildTestApp();
const t = (stage: StageName) => testApp.template(stage);
const all = (stage: StageName): Resources => resources(t(stage));
const ofType = (stage: StageName, type: string): Resources => resources(t(stage), type);

const FOURTEEN_DAYS = 14 * 24 * 60 * 60;
const SEVEN_DAYS = 7 * 24 * 60 * 60;
const PROCESSOR = 'Moves new orders PENDING to PROCESSING and starts their saga (SQS)';
const NOTIFIER = 'Sends customer notifications per status (SNS)';
const CANCEL = 'POST /orders/{orderId}/cancel';

/** Logical id of the single resource of `type` whose logical id starts with `prefix`. */
function idOf(stage: StageName, type: string, prefix: string): string {
  return onlyOne(Object.keys(ofType(stage, type)).filter((id) => id.startsWith(prefix)), `${type} ${prefix}*`);
}
const keyId = (s: StageName) => onlyOne(Object.keys(ofType(s, 'AWS::KMS::Key')), 'KMS key');
const keyArn = (s: StageName) => ({ 'Fn::GetAtt': [keyId(s), 'Arn'] });
const tableId = (s: StageName) => onlyOne(Object.keys(ofType(s, 'AWS::DynamoDB::Table')), 'table');
const tableArn = (s: StageName) => ({ 'Fn::GetAtt': [tableId(s), 'Arn'] });
const queueId = (s: StageName) => idOf(s, 'AWS::SQS::Queue', 'ProcessingQueue');
const processingDlqId = (s: StageName) => idOf(s, 'AWS::SQS::Queue', 'ProcessingDeadLetter');
const pipeDlqId = (s: StageName) => idOf(s, 'AWS::SQS::Queue', 'OrderCreatedPipeDeadLetter');
const statusPipeDlqId = (s: StageName) => idOf(s, 'AWS::SQS::Queue', 'OrderStatusChangedPipeDeadLetter');
const notifierDlqId = (s: StageName) => idOf(s, 'AWS::SQS::Queue', 'NotificationsNotifierDeadLetter');
const topicId = (s: StageName) => idOf(s, 'AWS::SNS::Topic', 'NotificationsTopic');
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const aliasIdOf = (s: StageName, description: string) => {
  const [fnId] = functionByDescription(t(s), description);
  return onlyOne(
    Object.keys(ofType(s, 'AWS::Lambda::Alias')).filter((id) => all(s)[id]?.Properties?.FunctionName.Ref === fnId),
    `alias of ${description}`,
  );
};
type PipeName = 'OrderCreatedPipe' | 'OrderStatusChangedPipe';
const pipe = (s: StageName, name: PipeName = 'OrderCreatedPipe') => all(s)[idOf(s, 'AWS::Pipes::Pipe', name)]!;
const pipeStatements = (s: StageName, name: PipeName = 'OrderCreatedPipe'): any[] => {
  const roleId = pipe(s, name).Properties?.RoleArn['Fn::GetAtt'][0] as string;
  return Object.values(ofType(s, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement);
};
const actionSet = (statements: any[]): string[] => [...new Set(statements.flatMap((st) => asArray<string>(st.Action)))].sort();
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const LEADING_KEYS = (prefix: string) => ({
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] },
  Null: { 'dynamodb:LeadingKeys': 'false' },
});

describe.each(STAGE_NAMES)('%s: order events key', (stage) => {
  test('one customer-managed key, rotation on, removal policy from the stage config', () => {
    const key = onlyOne(Object.values(ofType(stage, 'AWS::KMS::Key')), 'key');
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe(stage === 'dev' ? 'Delete' : 'Retain');
    expect(key.Properties?.PendingWindowInDays).toBe(stage === 'dev' ? 7 : 30);
  });

  test('key policy: the account (IAM delegation), SNS (for the encrypted subscription DLQ) and CloudWatch (alarms to the ops topic), nothing else', () => {
    const statements: any[] = onlyOne(Object.values(ofType(stage, 'AWS::KMS::Key')), 'key').Properties?.KeyPolicy.Statement;
    expect(statements).toHaveLength(3);
    expect(statements[2]).toEqual({
      Sid: 'AllowCloudWatchAlarmsToNotifyTheOpsTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
      },
    });
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'kms:*', Principal: { AWS: expect.anything() } });
    expect(JSON.stringify(statements[0].Principal)).toMatch(/:root/);
    expect(statements[1]).toEqual({
      Sid: 'AllowSnsToUseTheKeyForDeadLetterQueues',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': expect.anything() },
      },
    });
  });
});

describe.each(STAGE_NAMES)('%s: queues', (stage) => {
  const config = testStageConfig(stage);

  test('processing queue: KMS key, visibility 6 x processor timeout, 7 days, long polling, DLQ after 3 receives', () => {
    const q = all(stage)[queueId(stage)]!;
    expect(config.processor.timeout.toSeconds()).toBe(20);
    expect(withoutTags(q.Properties)).toEqual({
      KmsMasterKeyId: keyArn(stage),
      VisibilityTimeout: 6 * config.processor.timeout.toSeconds(),
      MessageRetentionPeriod: SEVEN_DAYS,
      ReceiveMessageWaitTimeSeconds: 20,
      RedrivePolicy: { deadLetterTargetArn: arnOf(processingDlqId(stage)), maxReceiveCount: 3 },
    });
  });

  test('every dead-letter queue: KMS key, 14 days', () => {
    for (const id of [processingDlqId(stage), pipeDlqId(stage), statusPipeDlqId(stage), notifierDlqId(stage)]) {
      expect(withoutTags(all(stage)[id]?.Properties)).toEqual({ KmsMasterKeyId: keyArn(stage), MessageRetentionPeriod: FOURTEEN_DAYS });
    }
    expect(Object.keys(ofType(stage, 'AWS::SQS::Queue'))).toHaveLength(5);
  });

  test('every dead-letter queue keeps a message longer than its source queue (SQS keeps the original enqueue time)', () => {
    const queues = ofType(stage, 'AWS::SQS::Queue');
    const retention = (r: Resources[string]) => (r.Properties?.MessageRetentionPeriod as number | undefined) ?? 4 * 24 * 60 * 60;
    // Queue -> queue redrive (the processing queue).
    const pairs: Array<[string, string]> = Object.entries(queues)
      .filter(([, q]) => q.Properties?.RedrivePolicy)
      .map(([id, q]) => [id, q.Properties?.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string]);
    expect(pairs).toEqual([[queueId(stage), processingDlqId(stage)]]);
    for (const [source, dlq] of pairs) expect(retention(queues[dlq]!)).toBeGreaterThan(retention(queues[source]!));
    // The other DLQs' sources are a stream (24 h) and a topic (no retention): both far shorter than 14 days.
    for (const dlq of [pipeDlqId(stage), statusPipeDlqId(stage), notifierDlqId(stage)]) {
      expect(retention(queues[dlq]!)).toBeGreaterThan(24 * 60 * 60);
    }
  });

  test('queues, dead-letter queues and the topics follow the stage removal policy, like the table and key', () => {
    const want = stage === 'dev' ? 'Delete' : 'Retain';
    const stateful = [
      ...Object.values(ofType(stage, 'AWS::SQS::Queue')),
      ...Object.values(ofType(stage, 'AWS::SNS::Topic')),
      ...Object.values(ofType(stage, 'AWS::DynamoDB::Table')),
      ...Object.values(ofType(stage, 'AWS::KMS::Key')),
    ];
    // 4 queues, the notifications and ops topics, the table, the key.
    expect(stateful).toHaveLength(9);
    for (const r of stateful) {
      expect(r.DeletionPolicy).toBe(want);
      expect(r.UpdateReplacePolicy).toBe(want);
    }
  });

  test('every queue is TLS-only (deny aws:SecureTransport false)', () => {
    const policies = Object.values(ofType(stage, 'AWS::SQS::QueuePolicy'));
    for (const id of Object.keys(ofType(stage, 'AWS::SQS::Queue'))) {
      const policy = onlyOne(
        policies.filter((p) => p.Properties?.Queues.some((q: any) => q.Ref === id)),
        `policy of ${id}`,
      );
      expect(policy.Properties?.PolicyDocument.Statement).toContainEqual({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: arnOf(id),
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
  });
});

describe.each(STAGE_NAMES)('%s: notifications topic', (stage) => {
  test('encrypted with the key, TLS-only publishing, active tracing', () => {
    const topic = all(stage)[topicId(stage)]!;
    expect(topic.Properties?.KmsMasterKeyId).toEqual(keyArn(stage));
    expect(topic.Properties?.TracingConfig).toBe('Active');
    const policy = onlyOne(
      Object.values(ofType(stage, 'AWS::SNS::TopicPolicy')).filter((p) => p.Properties?.Topics.some((x: any) => x.Ref === topicId(stage))),
      'topic policy',
    );
    expect(policy.Properties?.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Resource: { Ref: topicId(stage) },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  test('notify-customer subscribes its live alias to OrderStatusChanged only (filter on the body), with an encrypted DLQ', () => {
    const sub = onlyOne(
      Object.values(ofType(stage, 'AWS::SNS::Subscription')).filter((x) => x.Properties?.Protocol === 'lambda'),
      'lambda subscription',
    );
    expect(sub.Properties).toEqual({
      TopicArn: { Ref: topicId(stage) },
      Protocol: 'lambda',
      Endpoint: { Ref: aliasIdOf(stage, NOTIFIER) },
      // The pipe publishes without message attributes: the filter reads the event JSON.
      FilterPolicy: { eventType: ['OrderStatusChanged'] },
      FilterPolicyScope: 'MessageBody',
      RedrivePolicy: { deadLetterTargetArn: arnOf(notifierDlqId(stage)) },
    });
    // SNS may send to the DLQ for this topic only.
    const dlqPolicy = onlyOne(
      Object.values(ofType(stage, 'AWS::SQS::QueuePolicy')).filter((p) => p.Properties?.Queues[0].Ref === notifierDlqId(stage)),
      'notifier DLQ policy',
    );
    expect(dlqPolicy.Properties?.PolicyDocument.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: arnOf(notifierDlqId(stage)),
      Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topicId(stage) } } },
    });
    // SNS invokes the alias, for this topic only.
    const perm = onlyOne(
      Object.values(ofType(stage, 'AWS::Lambda::Permission')).filter((p) => p.Properties?.Principal === 'sns.amazonaws.com'),
      'SNS invoke permission',
    );
    expect(perm.Properties).toMatchObject({ FunctionName: { Ref: aliasIdOf(stage, NOTIFIER) }, SourceArn: { Ref: topicId(stage) } });
  });
});

/** The two stream pipes: the same construct with its own filter, target and template. */
const PIPES = [
  {
    name: 'OrderCreatedPipe',
    filter: { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['ORDER'] } } } },
    templatePath: ORDER_CREATED_TEMPLATE_PATH,
    target: (s: StageName) => arnOf(queueId(s)),
    dlq: pipeDlqId,
    deliver: (s: StageName) => ({ Sid: 'SendToTargetQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queueId(s)) }),
  },
  {
    name: 'OrderStatusChangedPipe',
    filter: {
      eventName: ['MODIFY'],
      dynamodb: { Keys: { sk: { S: ['ORDER'] } }, NewImage: { statusEvent: { S: [{ exists: true }] } } },
    },
    templatePath: ORDER_STATUS_CHANGED_TEMPLATE_PATH,
    target: (s: StageName) => ({ Ref: topicId(s) }),
    dlq: statusPipeDlqId,
    deliver: (s: StageName) => ({ Sid: 'PublishToTargetTopic', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId(s) } }),
  },
] as const;

describe.each(STAGE_NAMES)('%s: stream pipes', (stage) => {
  test('exactly two pipes read the table stream (a DynamoDB stream serves at most two readers per shard)', () => {
    const sources = Object.values(ofType(stage, 'AWS::Pipes::Pipe')).map((p) => p.Properties?.Source);
    expect(sources).toEqual([
      { 'Fn::GetAtt': [tableId(stage), 'StreamArn'] },
      { 'Fn::GetAtt': [tableId(stage), 'StreamArn'] },
    ]);
    const eventSourceMappings = Object.values(ofType(stage, 'AWS::Lambda::EventSourceMapping'));
    expect(JSON.stringify(eventSourceMappings)).not.toContain('StreamArn');
  });

  describe.each(PIPES)('$name', (spec) => {
    const name = spec.name as PipeName;

    test('source: the table stream from TRIM_HORIZON, batches of 10, bisect on failure, retries then its DLQ', () => {
      const p = pipe(stage, name).Properties!;
      expect(p.Source).toEqual({ 'Fn::GetAtt': [tableId(stage), 'StreamArn'] });
      expect(p.DesiredState).toBe('RUNNING');
      expect(p.SourceParameters.DynamoDBStreamParameters).toEqual({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 43200,
        OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
        DeadLetterConfig: { Arn: arnOf(spec.dlq(stage)) },
      });
      expect(p.SourceParameters.DynamoDBStreamParameters.MaximumRecordAgeInSeconds).toBeLessThan(24 * 60 * 60);
    });

    test('filter', () => {
      const filters = pipe(stage, name).Properties?.SourceParameters.FilterCriteria.Filters;
      expect(filters).toHaveLength(1);
      expect(JSON.parse(filters[0].Pattern)).toEqual(spec.filter);
    });

    test('target and input template from contracts/events', () => {
      const p = pipe(stage, name).Properties!;
      expect(p.Target).toEqual(spec.target(stage));
      expect(p.TargetParameters).toEqual({ InputTemplate: readFileSync(spec.templatePath, 'utf8').trim() });
    });

    test('ERROR-level logs to its own log group, no execution data', () => {
      const p = pipe(stage, name).Properties!;
      expect(p.LogConfiguration).toEqual({
        Level: 'ERROR',
        CloudwatchLogsLogDestination: { LogGroupArn: arnOf(idOf(stage, 'AWS::Logs::LogGroup', `${name}LogGroup`)) },
      });
    });

    test('role: assumed by EventBridge Pipes of this account; exactly the stream, its target, its DLQ, the key and its logs', () => {
      const roleId = pipe(stage, name).Properties?.RoleArn['Fn::GetAtt'][0] as string;
      const role = all(stage)[roleId]!;
      expectServiceRoleOfThisAccount(role, 'pipes.amazonaws.com');
      expect(role.Properties?.Policies).toBeUndefined();
      expect(pipeStatements(stage, name)).toEqual([
        {
          Sid: 'ReadOrdersStream',
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
          Resource: { 'Fn::GetAtt': [tableId(stage), 'StreamArn'] },
        },
        spec.deliver(stage),
        { Sid: 'SendToOwnDeadLetterQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(spec.dlq(stage)) },
        { Sid: 'EncryptMessages', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn(stage) },
        {
          Sid: 'WriteOwnLogGroup',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: arnOf(idOf(stage, 'AWS::Logs::LogGroup', `${name}LogGroup`)),
        },
      ]);
      // The pipe is created after its policy (it validates its permissions on creation).
      expect(asArray(pipe(stage, name).DependsOn)).toEqual(expect.arrayContaining([roleId]));
    });
  });
});

describe.each(STAGE_NAMES)('%s: process-orders', (stage) => {
  const config = testStageConfig(stage);

  test('SQS event source on the live alias: batches of 10, batching window and max concurrency from config, partial failures', () => {
    const esm = onlyOne(Object.values(ofType(stage, 'AWS::Lambda::EventSourceMapping')), 'event source mapping');
    expect(withoutTags(esm.Properties)).toEqual({
      EventSourceArn: arnOf(queueId(stage)),
      FunctionName: expect.anything(),
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: { dev: 1, staging: 2, prod: 2 }[stage],
      ScalingConfig: { MaximumConcurrency: { dev: 2, staging: 5, prod: 20 }[stage] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(config.processor.maxConcurrency).toBe(esm.Properties?.ScalingConfig.MaximumConcurrency);
    // The alias (`...:live`), not the unqualified function.
    expect(JSON.stringify(esm.Properties?.FunctionName)).toContain(aliasIdOf(stage, PROCESSOR));
    expect(JSON.stringify(esm.Properties?.FunctionName)).toContain(':live');
  });

  test('timeout from config; environment', () => {
    const [, fn] = functionByDescription(t(stage), PROCESSOR);
    expect(fn.Properties?.Timeout).toBe(20);
    expect(fn.Properties?.Environment.Variables).toEqual({
      STAGE: stage,
      RUST_LOG: 'info',
      ORDERS_TABLE_NAME: { Ref: tableId(stage) },
      STATE_MACHINE_ARN: { Ref: idOf(stage, 'AWS::StepFunctions::StateMachine', 'Saga') },
      METRICS_NAMESPACE: 'Orders',
    });
  });

  test('IAM: UpdateItem on ORDER# keys, StartExecution of the saga, and what the event source grants; nothing else', () => {
    const [id] = functionByDescription(t(stage), PROCESSOR);
    const statements = statementsOfFunction(t(stage), id);
    expect(actionSet(statements)).toEqual(
      [
        ...BASELINE,
        'dynamodb:UpdateItem',
        'states:StartExecution',
        // from the SQS event source mapping (queue consumption): kms:Decrypt of the messages
        'kms:Decrypt',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        { Sid: 'UpdateOrders', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: tableArn(stage), Condition: LEADING_KEYS('ORDER#') },
      ]),
    );
    for (const s of statements) {
      if (asArray<string>(s.Action).some((a) => a.startsWith('sqs:'))) expect(s.Resource).toEqual(arnOf(queueId(stage)));
      if (asArray<string>(s.Action).includes('kms:Decrypt')) expect(s.Resource).toEqual(keyArn(stage));
    }
    // It publishes nothing: status events come from the stream.
    expect(JSON.stringify(statements)).not.toContain(topicId(stage));
  });
});

describe.each(STAGE_NAMES)('%s: notify-customer', (stage) => {
  const config = testStageConfig(stage);
  const sender = { dev: undefined, staging: 'orders@staging.orders.example.com', prod: 'orders@orders.example.com' }[stage];

  test('stage config: e-mail sender and SMS', () => {
    expect(config.notifications.emailSender).toBe(sender);
    expect(config.notifications.smsEnabled).toBe(stage === 'prod');
  });

  test('environment (EMAIL_SENDER only where the stage has one)', () => {
    const [, fn] = functionByDescription(t(stage), NOTIFIER);
    expect(fn.Properties?.Timeout).toBe(10);
    expect(fn.Properties?.Environment.Variables).toEqual({
      STAGE: stage,
      RUST_LOG: 'info',
      ORDERS_TABLE_NAME: { Ref: tableId(stage) },
      METRICS_NAMESPACE: 'Orders',
      ...(sender ? { EMAIL_SENDER: sender } : {}),
      SMS_ENABLED: stage === 'prod' ? 'true' : 'false',
    });
  });

  test('IAM: read orders, write its ledger; SES only with a sender, SNS (SMS) only where SMS is on', () => {
    const [id] = functionByDescription(t(stage), NOTIFIER);
    const statements = statementsOfFunction(t(stage), id);
    const expected = {
      dev: [],
      staging: ['ses:SendEmail'],
      prod: ['ses:SendEmail', 'sns:Publish'],
    }[stage];
    expect(actionSet(statements)).toEqual(
      [...BASELINE, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sqs:SendMessage', 'kms:GenerateDataKey', 'kms:Decrypt', ...expected].sort(),
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        { Sid: 'ReadOrders', Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn(stage), Condition: LEADING_KEYS('ORDER#') },
        {
          Sid: 'WriteNotificationLedger',
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: tableArn(stage),
          Condition: LEADING_KEYS('NOTIFICATION#'),
        },
      ]),
    );
    const ses = statements.filter((s) => s.Action === 'ses:SendEmail');
    if (sender) {
      const domain = sender.split('@')[1];
      expect(onlyOne(ses, 'SES statement')).toEqual({
        Sid: 'SendEmailAsOrdersSender',
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: expect.arrayContaining([
          { 'Fn::Join': ['', ['arn:aws:ses:us-east-1:', { Ref: 'AWS::AccountId' }, `:identity/${domain}`]] },
          { 'Fn::Join': ['', ['arn:aws:ses:us-east-1:', { Ref: 'AWS::AccountId' }, `:identity/${sender}`]] },
        ]),
        Condition: { StringEquals: { 'ses:FromAddress': sender } },
      });
      expect(ses[0].Resource).toHaveLength(2);
    } else {
      expect(ses).toEqual([]);
    }
    // Resource "*" only for X-Ray, and for SMS where it is enabled.
    const star = statements.filter((s) => asArray(s.Resource).includes('*')).flatMap((s) => asArray<string>(s.Action)).sort();
    expect(star).toEqual(stage === 'prod' ? ['sns:Publish', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'] : ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    // SMS only: "*" is allowed (a phone number has no ARN) and every SNS ARN is denied.
    const sns = statements.filter((s) => asArray<string>(s.Action).includes('sns:Publish'));
    if (stage === 'prod') {
      expect(sns).toEqual([
        { Sid: 'SendSms', Effect: 'Allow', Action: 'sns:Publish', Resource: '*' },
        {
          Sid: 'SmsOnlyNoTopicsOrEndpoints',
          Effect: 'Deny',
          Action: 'sns:Publish',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:*:*:*']] },
        },
      ]);
    } else {
      expect(sns).toEqual([]);
    }
    // Evaluated as IAM would: an explicit Deny wins over the Allow of "*".
    const rendered = (r: unknown) => (typeof r === 'string' ? r : (r as any)['Fn::Join'][1].map((x: any) => (typeof x === 'string' ? x : 'aws')).join(''));
    const matches = (pattern: string, arn: string) => new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(arn);
    const mayPublish = (arn: string) =>
      !sns.some((x) => x.Effect === 'Deny' && matches(rendered(x.Resource), arn)) && sns.some((x) => x.Effect === 'Allow' && matches(rendered(x.Resource), arn));
    const notificationsTopic = `arn:aws:sns:us-east-1:111122223333:Orders-${stage}-Service-NotificationsTopicAE679CBD-1A2B3C`;
    expect(mayPublish(notificationsTopic)).toBe(false);
    expect(mayPublish('arn:aws:sns:eu-west-1:999988887777:any-topic')).toBe(false);
    expect(mayPublish('arn:aws:sns:us-east-1:111122223333:endpoint/GCM/app/0f')).toBe(false);
    // A direct publish to a phone number names no SNS resource.
    expect(mayPublish('*')).toBe(stage === 'prod');
    // The events key only through SQS (its dead-letter queue), never directly or through SNS.
    const kms = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([
      {
        Sid: 'EncryptDeadLetters',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [keyId(stage), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sqs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      },
    ]);
    // The notifier never touches the topic: it only receives from SNS. It
    // sends to its dead-letter queue (failed invocations), and only there.
    expect(JSON.stringify(statements)).not.toContain(topicId(stage));
    const sqs = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('sqs:')));
    expect(sqs).toEqual([
      { Sid: 'DeadLetterFailedInvocations', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(notifierDlqId(stage)) },
    ]);
  });

  test('failed asynchronous invocations go to the notifier dead-letter queue', () => {
    const [, fn] = functionByDescription(t(stage), NOTIFIER);
    expect(fn.Properties?.DeadLetterConfig).toEqual({ TargetArn: arnOf(notifierDlqId(stage)) });
  });
});

describe.each(STAGE_NAMES)('%s: cancel-order', (stage) => {
  test('environment', () => {
    const [, fn] = functionByDescription(t(stage), CANCEL);
    expect(fn.Properties?.Environment.Variables).toEqual({
      STAGE: stage,
      RUST_LOG: 'info',
      ORDERS_TABLE_NAME: { Ref: tableId(stage) },
      ALLOWED_ORIGINS: testStageConfig(stage).api.corsAllowOrigins.join(','),
      METRICS_NAMESPACE: 'Orders',
    });
  });

  test('IAM: UpdateItem on ORDER# keys; nothing else (its CANCELLED event comes from the stream)', () => {
    const [id] = functionByDescription(t(stage), CANCEL);
    const statements = statementsOfFunction(t(stage), id);
    expect(actionSet(statements)).toEqual([...BASELINE, 'dynamodb:UpdateItem'].sort());
    expect(statements).toEqual(
      expect.arrayContaining([
        { Sid: 'UpdateOrders', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: tableArn(stage), Condition: LEADING_KEYS('ORDER#') },
      ]),
    );
    expect(statements).toHaveLength(3);
  });
});

describe.each(STAGE_NAMES)('%s: resource policies', (stage) => {
  test('no Allow in a queue, topic or key policy has a wildcard action (except the key\'s account-root statement)', () => {
    const docs = [
      ...Object.values(ofType(stage, 'AWS::SQS::QueuePolicy')).map((p) => p.Properties?.PolicyDocument),
      ...Object.values(ofType(stage, 'AWS::SNS::TopicPolicy')).map((p) => p.Properties?.PolicyDocument),
      ...Object.values(ofType(stage, 'AWS::KMS::Key')).map((k) => k.Properties?.KeyPolicy),
    ];
    const allows = docs.flatMap((d) => d.Statement).filter((s: any) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const s of allows) {
      // CDK's (and AWS's) default key statement: the account delegates key use to IAM policies.
      if (s.Action === 'kms:*' && JSON.stringify(s.Principal).includes(':root')) continue;
      for (const a of asArray<string>(s.Action)) expect(a).not.toMatch(/\*/);
    }
  });
});

describe('outputs for the admin CLI', () => {
  test.each(STAGE_NAMES)('%s: queue URLs and topic ARN', (stage) => {
    const outputs = t(stage).toJSON().Outputs;
    expect(outputs.ProcessingQueueUrl.Value).toEqual({ Ref: queueId(stage) });
    expect(outputs.DeadLetterQueueUrl.Value).toEqual({ Ref: processingDlqId(stage) });
    expect(outputs.PipeDeadLetterQueueUrl.Value).toEqual({ Ref: pipeDlqId(stage) });
    expect(outputs.StatusPipeDeadLetterQueueUrl.Value).toEqual({ Ref: statusPipeDlqId(stage) });
    expect(outputs.NotificationsDeadLetterQueueUrl.Value).toEqual({ Ref: notifierDlqId(stage) });
    expect(outputs.NotificationsTopicArn.Value).toEqual({ Ref: topicId(stage) });
  });
});

// ---------------------------------------------------------------------------
// The OrderCreated pipe's filter and input template against DynamoDB stream records.

// Whether the rendered events pass the event schema is checked in Rust with
// a real JSON Schema validator, on an order item the DynamoDB adapter wrote
// (lambdas/process-orders/tests/pipe_template.rs).
const ORDER_CREATED_FIELDS = Object.keys(
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'contracts', 'events', 'order-created.v1.schema.json'), 'utf8')).properties,
);

describe('OrderCreated pipe: filter and input template', () => {
  const template = readFileSync(ORDER_CREATED_TEMPLATE_PATH, 'utf8').trim();
  const pattern = JSON.parse(pipe('dev').Properties?.SourceParameters.FilterCriteria.Filters[0].Pattern);

  test('the filter passes order INSERTs only', () => {
    expect(matches(pattern, streamRecord('INSERT', 'ORDER'))).toBe(true);
    expect(matches(pattern, streamRecord('MODIFY', 'ORDER'))).toBe(false); // status changes
    expect(matches(pattern, streamRecord('REMOVE', 'ORDER'))).toBe(false);
    expect(matches(pattern, streamRecord('INSERT', 'IDEMPOTENCY', 'IDEMPOTENCY#key-1'))).toBe(false);
    expect(matches(pattern, streamRecord('INSERT', 'NOTIFICATION', `NOTIFICATION#${ORDER_ID}#PROCESSING`))).toBe(false);
    expect(matches(pattern, streamRecord('REMOVE', 'IDEMPOTENCY', 'IDEMPOTENCY#key-1'))).toBe(false); // TTL expiry
  });

  test('the synthesized template is the file, one line, placeholders only from NewImage', () => {
    expect(pipe('dev').Properties?.TargetParameters.InputTemplate).toBe(template);
    expect(template).not.toContain('\n');
    const placeholders = [...template.matchAll(/<(\$[^>]*)>/g)].map((m) => m[1]);
    expect(placeholders.length).toBe(8);
    for (const p of placeholders) expect(p).toMatch(/^\$\.dynamodb\.NewImage\.[A-Za-z]+\.(S|N)$/);
    expect(placeholders.filter((p) => p?.endsWith('.N'))).toEqual(['$.dynamodb.NewImage.itemCount.N']);
  });

  test('rendered with an order INSERT, it is an OrderCreated v1 event with every schema field', () => {
    const event = JSON.parse(renderRaw(template, streamRecord('INSERT', 'ORDER')));
    expect(event).toEqual({
      eventType: 'OrderCreated',
      eventVersion: 1,
      eventId: ORDER_ID, // deterministic: a redelivered record keeps its id
      occurredAt: CREATED_AT,
      orderId: ORDER_ID,
      customerId: 'cust-42',
      total: '42.50',
      currency: 'EUR',
      itemCount: 3,
      createdAt: CREATED_AT,
    });
    expect(Object.keys(event).sort()).toEqual([...ORDER_CREATED_FIELDS].sort());
  });

  test('if Pipes quotes unquoted string values (as EventBridge rules do), it is still valid JSON; only itemCount changes type', () => {
    const event = JSON.parse(renderQuotingStrings(template, streamRecord('INSERT', 'ORDER')));
    const raw = JSON.parse(renderRaw(template, streamRecord('INSERT', 'ORDER')));
    // The schema accepts both (itemCount: integer or digits).
    expect(event).toEqual({ ...raw, itemCount: '3' });
  });
});

describe('emailDomain', () => {
  test('the SES domain identity of a sender address', () => {
    expect(emailDomain('orders@staging.orders.example.com')).toBe('staging.orders.example.com');
    expect(() => emailDomain('orders.example.com')).toThrow(/not an e-mail address/);
    expect(() => emailDomain('orders@')).toThrow(/not an e-mail address/);
  });
});
