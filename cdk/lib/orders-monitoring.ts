import type { IRestApi } from 'aws-cdk-lib/aws-apigateway';
import { AlarmStatusWidget, type Alarm, CfnAlarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { DefaultDashboardFactory, MonitoringFacade, notifySns } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { RustLambda } from './rust-lambda';

/** The disambiguator of every alarm (part of its name): all of them notify the ops topic. */
export const ALARM_DISAMBIGUATOR = 'Critical';
/** CloudWatch namespace of EventBridge Pipes' metrics (dimension `PipeName`). */
export const PIPES_NAMESPACE = 'AWS/EventBridge/Pipes';
/**
 * The table operations whose `SystemErrors` alarm: what the functions, the
 * admin CLI (Scan) and the pipes (GetRecords on the stream) call.
 */
export const TABLE_OPERATIONS = ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'Scan', 'TransactWriteItems', 'GetRecords'] as const;

export interface NamedQueue {
  /** Used in the alarm name, e.g. `notifier-dlq`. */
  readonly name: string;
  readonly queue: IQueue;
}

export interface NamedPipe {
  readonly name: string;
  readonly pipe: CfnPipe;
}

export interface OrdersMonitoringProps {
  readonly config: StageConfig;
  readonly opsTopic: ITopic;
  readonly functions: readonly RustLambda[];
  readonly api: IRestApi;
  readonly processingQueue: IQueue;
  readonly processingDeadLetterQueue: IQueue;
  /** The dead-letter queues that are not the processing queue's. */
  readonly deadLetterQueues: readonly NamedQueue[];
  readonly pipes: readonly NamedPipe[];
  readonly table: ITable;
  readonly stateMachine: IStateMachine;
  /** Shown on the dashboard (CodeDeploy's alias alarms, cdk/lib/alias-deployments.ts). */
  readonly rollbackAlarms?: readonly Alarm[];
}

/**
 * The stage's dashboard (`Orders-<stage>`) and alarms, built with
 * cdk-monitoring-constructs, thresholds from `config.monitoring`, every
 * alarm notifying the ops topic on ALARM and OK. docs/operations.md says
 * what each alarm means and what to do.
 */
export class OrdersMonitoring extends Construct {
  public readonly facade: MonitoringFacade;
  public readonly dashboards: DefaultDashboardFactory;

  constructor(scope: Construct, id: string, props: OrdersMonitoringProps) {
    super(scope, id);
    const { config, opsTopic } = props;
    const m = config.monitoring;
    const prefix = `Orders-${config.stageName}`;
    const D = ALARM_DISAMBIGUATOR;
    // No data means nothing happened: nothing failed, nothing waited.
    const quiet = { treatMissingDataOverride: TreatMissingData.NOT_BREACHING } as const;
    const above = (threshold: number) => ({
      [D]: { threshold, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, ...quiet },
    });

    this.dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: prefix,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: prefix,
        actionsEnabled: true,
        action: notifySns(opsTopic, opsTopic),
        evaluationPeriods: m.evaluationPeriods,
        datapointsToAlarm: m.evaluationPeriods,
      },
      metricFactoryDefaults: { period: m.period },
      dashboardFactory: this.dashboards,
    });
    const f = this.facade;

    f.addLargeHeader(`Orders ${config.stageName}`);
    f.monitorApiGateway({
      api: props.api,
      apiStage: config.stageName,
      alarmFriendlyName: 'api',
      humanReadableName: `REST API orders-${config.stageName}`,
      add5XXFaultRateAlarm: { [D]: { maxErrorRate: m.api.max5xxRate, ...quiet } },
      addLatencyP99Alarm: { [D]: { maxLatency: m.api.maxP99Latency, ...quiet } },
    });

    for (const fn of props.functions) {
      f.monitorLambdaFunction({
        lambdaFunction: fn.function,
        alarmFriendlyName: fn.binaryName,
        humanReadableName: `Function ${fn.binaryName}`,
        isIterator: false,
        addFaultCountAlarm: { [D]: { maxErrorCount: m.functions.maxErrors, ...quiet } },
        addThrottlesCountAlarm: { [D]: { maxErrorCount: m.functions.maxThrottles, ...quiet } },
        addLatencyP99Alarm: { [D]: { maxLatency: fn.percentOfTimeout(m.functions.maxP99DurationPercentOfTimeout), ...quiet } },
      });
    }

    // Any message in any dead-letter queue is an incident (docs/operations.md, "Dead letters").
    const anyMessage = {
      maxMessageCount: 1,
      comparisonOperatorOverride: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...quiet,
    };
    f.monitorSqsQueueWithDlq({
      queue: props.processingQueue,
      deadLetterQueue: props.processingDeadLetterQueue,
      alarmFriendlyName: 'processing-queue',
      humanReadableName: 'Processing queue (OrderCreated)',
      addQueueMaxMessageAgeAlarm: { [D]: { maxAgeInSeconds: m.maxProcessingQueueAge.toSeconds(), ...quiet } },
      addDeadLetterQueueMaxSizeAlarm: { [D]: anyMessage },
    });
    for (const dlq of props.deadLetterQueues) {
      f.monitorSqsQueue({
        queue: dlq.queue,
        alarmFriendlyName: dlq.name,
        humanReadableName: `Dead-letter queue ${dlq.name}`,
        addQueueMaxSizeAlarm: { [D]: anyMessage },
      });
    }

    for (const { name, pipe } of props.pipes) {
      const metric = (metricName: string) =>
        new Metric({ namespace: PIPES_NAMESPACE, metricName, dimensionsMap: { PipeName: pipe.ref }, statistic: 'Sum', period: m.period });
      f.monitorCustom({
        alarmFriendlyName: name,
        humanReadableName: `Pipe ${name}`,
        metricGroups: [
          {
            title: 'Failures',
            metrics: [
              {
                metric: metric('ExecutionFailed'),
                alarmFriendlyName: 'ExecutionFailed',
                addAlarm: above(m.maxPipeFailedExecutions),
              },
              metric('TargetStageFailed'),
              metric('ExecutionTimeout'),
              metric('ExecutionThrottled'),
            ],
          },
          { title: 'Events', metrics: [metric('EventCount'), metric('Invocations')] },
        ],
      });
    }

    f.monitorDynamoTable({
      table: props.table,
      alarmFriendlyName: 'orders-table',
      humanReadableName: 'Orders table',
      addReadThrottledEventsCountAlarm: { [D]: { maxThrottledEventsThreshold: m.table.maxThrottledEvents, ...quiet } },
      addWriteThrottledEventsCountAlarm: { [D]: { maxThrottledEventsThreshold: m.table.maxThrottledEvents, ...quiet } },
    });
    // DynamoDB publishes SystemErrors per operation and only when there are
    // some: each term is FILL(..., 0), or one missing operation would blank the sum.
    const systemErrors = new MathExpression({
      label: 'System errors',
      period: m.period,
      expression: TABLE_OPERATIONS.map((_, i) => `FILL(e${i},0)`).join('+'),
      usingMetrics: Object.fromEntries(
        TABLE_OPERATIONS.map((operation, i) => [
          `e${i}`,
          props.table.metric('SystemErrors', { dimensionsMap: { TableName: props.table.tableName, Operation: operation }, statistic: 'Sum', period: m.period }),
        ]),
      ),
    });
    f.monitorCustom({
      alarmFriendlyName: 'orders-table',
      humanReadableName: 'Orders table: system errors',
      metricGroups: [
        {
          title: 'System errors (all operations)',
          metrics: [
            {
              metric: systemErrors,
              alarmFriendlyName: 'SystemErrors',
              addAlarm: above(m.table.maxSystemErrors),
            },
          ],
        },
      ],
    });

    f.monitorStepFunction({
      stateMachine: props.stateMachine,
      alarmFriendlyName: 'order-saga',
      humanReadableName: 'Order saga',
      addFailedExecutionCountAlarm: { [D]: { maxErrorCount: m.workflow.maxFailedExecutions, ...quiet } },
      addTimedOutExecutionCountAlarm: { [D]: { maxErrorCount: m.workflow.maxTimedOutExecutions, ...quiet } },
      addThrottledExecutionCountAlarm: { [D]: { maxErrorCount: m.workflow.maxThrottledExecutions, ...quiet } },
    });

    if (props.rollbackAlarms && props.rollbackAlarms.length > 0) {
      f.addMediumHeader('Deployment rollback alarms (live aliases)');
      f.addWidget(
        new AlarmStatusWidget({ title: 'CodeDeploy rollback alarms', alarms: [...props.rollbackAlarms], width: 24, height: 6 }),
      );
    }

    if (config.emulator) removeMetricMathAlarms(this);
  }
}

/**
 * Removes every alarm under `scope` defined by metric data queries
 * (`Metrics`, CloudFormation's metric-math form): the local AWS emulator
 * refuses them and rolls the stack back. Besides the explicit math (table
 * system errors, cdk-monitoring-constructs' FILL on throttles), the library
 * writes each alarm on a labelled metric in that form too. The dashboard
 * keeps every graph. Returns the construct paths of the removed alarms.
 */
export function removeMetricMathAlarms(scope: Construct): string[] {
  const alarms = scope.node
    .findAll()
    .filter((c): c is CfnAlarm => c instanceof CfnAlarm && c.metrics !== undefined)
    // The L2 Alarm that owns the CfnAlarm ('Resource'), else the CfnAlarm itself.
    .map((cfn) => (cfn.node.id === 'Resource' && cfn.node.scope ? cfn.node.scope : cfn));
  for (const alarm of alarms) {
    const parent = alarm.node.scope;
    if (!parent?.node.tryRemoveChild(alarm.node.id)) throw new Error(`cannot remove alarm ${alarm.node.path}`);
  }
  return alarms.map((a) => a.node.path);
}
