import { type CfnResource, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { STAGE_NAMES, type StageName } from '../lib/config';
import { stageAlarmNamePattern } from '../lib/ops-topic';
import { NOTIFICATIONS_REFUSED_METRIC, PIPES_NAMESPACE, SNS_BODY_FILTER_METRICS, TABLE_OPERATIONS } from '../lib/orders-monitoring';
import { METRICS_NAMESPACE } from '../lib/rust-lambda';
import { alarmMetrics, alarmsOf, type AlarmMetric, buildTestApp, onlyOne, resources, testStageConfig } from './helpers';

const testApp = buildTestApp({}, false);
const t = (s: StageName) => testApp.template(s);
const stack = (s: StageName) => testApp.stages.get(s)!.service;
const logicalId = (_s: StageName, c: CfnResource) => Stack.of(c).getLogicalId(c);
const opsTopicId = (s: StageName) => logicalId(s, stack(s).opsTopic.topic.node.defaultChild as CfnResource);

type Dims = Record<string, unknown>;
const dims = (m: AlarmMetric): Dims => Object.fromEntries(m.Dimensions.map((d: any) => [d.Name, d.Value]));

/** The alarm whose only metric is `namespace/metricName` with exactly these dimensions. */
function alarmOn(s: StageName, namespace: string, metricName: string, dimensions: Dims): Record<string, any> {
  return onlyOne(
    alarmsOf(t(s)).filter((a) => {
      const ms = alarmMetrics(a);
      return ms.length === 1 && ms[0]!.Namespace === namespace && ms[0]!.MetricName === metricName && JSON.stringify(dims(ms[0]!)) === JSON.stringify(dimensions);
    }),
    `alarm on ${namespace} ${metricName} ${JSON.stringify(dimensions)}`,
  );
}

describe.each(STAGE_NAMES)('%s: ops topic', (stage) => {
  const m = testStageConfig(stage).monitoring;

  test('encrypted with the order events key, TLS-only, e-mail subscription exactly when the config has an address', () => {
    const topic = resources(t(stage))[opsTopicId(stage)]!;
    expect(topic.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(stage, stack(stage).eventsKey.key.node.defaultChild as CfnResource), 'Arn'] });
    const policy = onlyOne(
      Object.values(resources(t(stage), 'AWS::SNS::TopicPolicy')).filter((p) => p.Properties?.Topics.some((x: any) => x.Ref === opsTopicId(stage))),
      'ops topic policy',
    );
    expect(policy.Properties?.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const emails = Object.values(resources(t(stage), 'AWS::SNS::Subscription')).filter((x) => x.Properties?.Protocol === 'email');
    if (m.opsEmail === undefined) {
      expect(emails).toEqual([]);
    } else {
      expect(emails.map((x) => x.Properties)).toEqual([{ TopicArn: { Ref: opsTopicId(stage) }, Protocol: 'email', Endpoint: m.opsEmail }]);
    }
  });

  test('the topic policy lets CloudWatch publish for this stage\'s alarms of this account only, and keeps the TLS-only deny', () => {
    const policy = onlyOne(
      Object.values(resources(t(stage), 'AWS::SNS::TopicPolicy')).filter((p) => p.Properties?.Topics.some((x: any) => x.Ref === opsTopicId(stage))),
      'ops topic policy',
    );
    const statements = policy.Properties?.PolicyDocument.Statement as any[];
    expect(statements).toHaveLength(2);
    expect(statements).toContainEqual({
      Sid: 'AllowThisStagesAlarmsToPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: opsTopicId(stage) },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:alarm:Orders-${stage}-*`]],
          },
        },
      },
    });
    // Nothing else is allowed: the other statement is the TLS-only deny.
    expect(statements.filter((x) => x.Effect === 'Allow')).toHaveLength(1);
    expect(statements.find((x) => x.Effect === 'Deny')).toMatchObject({ Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  test('the ArnLike pattern covers every alarm of the stage (monitoring and rollback) and no other stage\'s', () => {
    const glob = new RegExp(`^${stageAlarmNamePattern(stage).replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace('*', '.*')}$`);
    const names = alarmsOf(t(stage)).map((a) => a.AlarmName as unknown);
    expect(names.length).toBeGreaterThan(50);
    for (const name of names) {
      expect(typeof name).toBe('string');
      expect(name).toMatch(glob);
    }
    for (const other of STAGE_NAMES.filter((x) => x !== stage)) {
      for (const name of alarmsOf(t(other)).map((a) => a.AlarmName as string)) expect(name).not.toMatch(glob);
    }
  });

  test('every alarm notifies the ops topic and only it; monitoring alarms also on OK', () => {
    const alarms = alarmsOf(t(stage));
    expect(alarms.length).toBeGreaterThan(50);
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: opsTopicId(stage) }]);
      expect(a.AlarmName).toMatch(new RegExp(`^Orders-${stage}-`));
      expect(a.TreatMissingData).toBe('notBreaching');
      if (!/-live-/.test(a.AlarmName)) expect(a.OKActions).toEqual([{ Ref: opsTopicId(stage) }]);
    }
  });

  test('one dashboard, Orders-<stage>', () => {
    const dashboards = Object.values(resources(t(stage), 'AWS::CloudWatch::Dashboard'));
    expect(dashboards.map((d) => d.Properties?.DashboardName)).toEqual([`Orders-${stage}`]);
    const body = JSON.stringify(dashboards[0]!.Properties?.DashboardBody);
    // The dashboard shows every concern the alarms watch.
    for (const namespace of ['AWS/Lambda', 'AWS/ApiGateway', 'AWS/SQS', 'AWS/DynamoDB', 'AWS/States', PIPES_NAMESPACE]) {
      expect(body).toContain(namespace);
    }
  });
});

describe.each(STAGE_NAMES)('%s: alarms and their thresholds (config.monitoring)', (stage) => {
  const config = testStageConfig(stage);
  const m = config.monitoring;
  const lambdaFn = (s: StageName) => stack(s).rustFunctions;

  test('all nine Rust functions: errors, throttles and p99 duration (share of the timeout), over all versions', () => {
    const fns = lambdaFn(stage);
    expect(fns.map((f) => f.binaryName).sort()).toEqual(
      ['cancel-order', 'create-order', 'get-order', 'inventory', 'list-orders', 'notify-customer', 'payments', 'process-orders', 'settle-order'],
    );
    for (const fn of fns) {
      const d = { FunctionName: { Ref: logicalId(stage, fn.function.node.defaultChild as CfnFunction) } };
      expect(alarmOn(stage, 'AWS/Lambda', 'Errors', d)).toMatchObject({ Threshold: m.functions.maxErrors, ComparisonOperator: 'GreaterThanThreshold' });
      expect(alarmOn(stage, 'AWS/Lambda', 'Throttles', d)).toMatchObject({ Threshold: m.functions.maxThrottles, ComparisonOperator: 'GreaterThanThreshold' });
      const duration = alarmOn(stage, 'AWS/Lambda', 'Duration', d);
      expect(alarmMetrics(duration)[0]!.Stat).toBe('p99');
      expect(duration.Threshold).toBe((fn.timeout.toMilliseconds() * m.functions.maxP99DurationPercentOfTimeout) / 100);
    }
    // The processor's timeout differs from the API functions': so does its threshold.
    expect(stack(stage).processOrders.timeout.toSeconds()).toBe(config.processor.timeout.toSeconds());
  });

  test('processing queue: age of the oldest message', () => {
    const q = alarmOn(stage, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', {
      QueueName: { 'Fn::GetAtt': [logicalId(stage, stack(stage).processingQueue.queue.node.defaultChild as CfnResource), 'QueueName'] },
    });
    expect(q).toMatchObject({ Threshold: m.maxProcessingQueueAge.toSeconds(), ComparisonOperator: 'GreaterThanThreshold' });
  });

  test('every dead-letter queue alarms on one visible message (>= 1)', () => {
    const s = stack(stage);
    const dlqs = [s.processingQueue.deadLetterQueue, s.notifierDeadLetterQueue, s.orderCreatedPipe.deadLetterQueue, s.orderStatusChangedPipe.deadLetterQueue];
    const queues = Object.keys(resources(t(stage), 'AWS::SQS::Queue'));
    // Every queue but the processing queue is a dead-letter queue.
    expect(queues).toHaveLength(dlqs.length + 1);
    for (const dlq of dlqs) {
      const a = alarmOn(stage, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
        QueueName: { 'Fn::GetAtt': [logicalId(stage, dlq.queue.node.defaultChild as CfnResource), 'QueueName'] },
      });
      expect(a).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: m.evaluationPeriods });
      expect(alarmMetrics(a)[0]!.Stat).toBe('Maximum');
    }
  });

  test('API: share of 5XX answers and p99 latency of the stage', () => {
    const d = { ApiName: `orders-${stage}`, Stage: stage };
    const errors = alarmOn(stage, 'AWS/ApiGateway', '5XXError', d);
    // Average of 5XXError is the share of requests answered 5XX.
    expect(alarmMetrics(errors)[0]!.Stat).toBe('Average');
    expect(errors).toMatchObject({ Threshold: m.api.max5xxRate, ComparisonOperator: 'GreaterThanThreshold' });
    const latency = alarmOn(stage, 'AWS/ApiGateway', 'Latency', d);
    expect(alarmMetrics(latency)[0]!.Stat).toBe('p99');
    expect(latency.Threshold).toBe(m.api.maxP99Latency.toMilliseconds());
  });

  test('both pipes: failed executions (AWS/EventBridge/Pipes by PipeName)', () => {
    const pipeIds = Object.keys(resources(t(stage), 'AWS::Pipes::Pipe'));
    expect(pipeIds).toHaveLength(2);
    for (const id of pipeIds) {
      const a = alarmOn(stage, PIPES_NAMESPACE, 'ExecutionFailed', { PipeName: { Ref: id } });
      expect(a).toMatchObject({ Threshold: m.maxPipeFailedExecutions, ComparisonOperator: 'GreaterThanThreshold' });
      expect(alarmMetrics(a)[0]!.Stat).toBe('Sum');
    }
  });

  test('notifications topic: any message its body filter drops (no match, or not JSON) alarms', () => {
    const topicId = logicalId(stage, stack(stage).notifications.topic.node.defaultChild as CfnResource);
    // The notifier's subscription filters on the body, so the -MessageBody metrics are the ones SNS emits for it.
    const subscriptions = Object.values(resources(t(stage), 'AWS::SNS::Subscription')).filter((x) => x.Properties?.TopicArn?.Ref === topicId);
    expect(subscriptions.map((x) => x.Properties?.FilterPolicyScope)).toEqual(['MessageBody']);
    for (const metric of SNS_BODY_FILTER_METRICS) {
      const a = alarmOn(stage, 'AWS/SNS', metric, { TopicName: { 'Fn::GetAtt': [topicId, 'TopicName'] } });
      expect(a).toMatchObject({ Threshold: m.maxNotificationsFilteredOut, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      expect(alarmMetrics(a)[0]!.Stat).toBe('Sum');
    }
    expect(m.maxNotificationsFilteredOut).toBe(0);
  });

  test('notifications refused for good (notify-customer EMF, namespace and Stage dimension as the functions emit them) alarm', () => {
    const a = alarmOn(stage, METRICS_NAMESPACE, NOTIFICATIONS_REFUSED_METRIC, { Stage: stage });
    expect(a).toMatchObject({ Threshold: m.maxNotificationsRefused, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    expect(alarmMetrics(a)[0]!.Stat).toBe('Sum');
    // What the functions emit under: every one gets the namespace and its stage.
    const functions = Object.values(resources(t(stage), 'AWS::Lambda::Function')).filter((f) => f.Properties?.Runtime === 'provided.al2023');
    expect(functions.length).toBeGreaterThan(0);
    for (const f of functions) {
      expect(f.Properties?.Environment?.Variables).toMatchObject({ METRICS_NAMESPACE, STAGE: stage });
    }
  });

  test('DynamoDB: read and write throttle events, system errors of every operation the stage uses', () => {
    const tableId = logicalId(stage, stack(stage).table.table.node.defaultChild as CfnResource);
    for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      expect(alarmOn(stage, 'AWS/DynamoDB', metric, { TableName: { Ref: tableId } })).toMatchObject({
        Threshold: m.table.maxThrottledEvents,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    const systemErrors = onlyOne(
      alarmsOf(t(stage)).filter((a) => alarmMetrics(a).some((x) => x.MetricName === 'SystemErrors')),
      'system errors alarm',
    );
    expect(systemErrors).toMatchObject({ Threshold: m.table.maxSystemErrors, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarmMetrics(systemErrors).map((x) => dims(x))).toEqual(TABLE_OPERATIONS.map((op) => ({ Operation: op, TableName: { Ref: tableId } })));
    expect(TABLE_OPERATIONS).toContain('TransactWriteItems');
    // Missing per-operation data must not blank the sum.
    const expression = onlyOne<any>(systemErrors.Metrics.filter((x: any) => x.Expression !== undefined), 'expression').Expression as string;
    expect(expression.split('+')).toHaveLength(TABLE_OPERATIONS.length);
    for (const term of expression.split('+')) expect(term).toMatch(/^FILL\(e\d+,0\)$/);
  });

  test('saga: failed, timed-out and throttled executions', () => {
    const d = { StateMachineArn: { Ref: logicalId(stage, stack(stage).saga.stateMachine.node.defaultChild as CfnResource) } };
    expect(alarmOn(stage, 'AWS/States', 'ExecutionsFailed', d).Threshold).toBe(m.workflow.maxFailedExecutions);
    expect(alarmOn(stage, 'AWS/States', 'ExecutionsTimedOut', d).Threshold).toBe(m.workflow.maxTimedOutExecutions);
    expect(alarmOn(stage, 'AWS/States', 'ExecutionThrottled', d).Threshold).toBe(m.workflow.maxThrottledExecutions);
  });

  test('every monitoring alarm uses the stage period and evaluation periods', () => {
    for (const a of alarmsOf(t(stage)).filter((x) => !/-live-/.test(x.AlarmName))) {
      expect(a.EvaluationPeriods).toBe(m.evaluationPeriods);
      expect(a.DatapointsToAlarm).toBe(m.evaluationPeriods);
      for (const x of alarmMetrics(a)) expect(x.Period).toBe(m.period.toSeconds());
    }
  });
});

describe('thresholds differ by stage where the config says so', () => {
  test('prod is stricter than dev', () => {
    const dev = testStageConfig('dev').monitoring;
    const prod = testStageConfig('prod').monitoring;
    expect(prod.api.max5xxRate).toBeLessThan(dev.api.max5xxRate);
    expect(prod.maxProcessingQueueAge.toSeconds()).toBeLessThan(dev.maxProcessingQueueAge.toSeconds());
    const threshold = (s: StageName) => alarmOn(s, 'AWS/ApiGateway', '5XXError', { ApiName: `orders-${s}`, Stage: s }).Threshold;
    expect(threshold('prod')).toBe(prod.api.max5xxRate);
    expect(threshold('dev')).toBe(dev.api.max5xxRate);
  });
});
