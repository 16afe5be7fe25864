import { Duration } from 'aws-cdk-lib';
import type { StageName } from './stage-names';

/**
 * Thresholds of the stage's alarms (cdk/lib/orders-monitoring.ts). A `max*`
 * value is the largest value that does not alarm: the alarm fires when the
 * metric is above it for `evaluationPeriods` consecutive periods. Alarms on
 * counts of failures treat missing data as not breaching (no data: nothing failed).
 */
export interface MonitoringConfig {
  /** Subscribed (e-mail) to the stage's ops topic: a stage setting (cdk/lib/config.ts); undefined: no subscriber yet. */
  readonly opsEmail?: string;
  /** The period of every alarm's metric. */
  readonly period: Duration;
  /** Consecutive breaching periods before an alarm fires. */
  readonly evaluationPeriods: number;
  /** Every Rust function (API, processor, notifier, the saga's three), all versions. */
  readonly functions: {
    /** `Errors` per period (the saga's functions raise TransientError on purpose: it is retried). */
    readonly maxErrors: number;
    readonly maxThrottles: number;
    /** p99 `Duration` as a percentage of the function's own timeout. */
    readonly maxP99DurationPercentOfTimeout: number;
  };
  /** Age of the processing queue's oldest message (orders waiting for the processor). */
  readonly maxProcessingQueueAge: Duration;
  readonly api: {
    /** Share of requests answered 5XX (0..1; API Gateway's `5XXError` average). */
    readonly max5xxRate: number;
    /** p99 `Latency` of the REST API stage. */
    readonly maxP99Latency: Duration;
  };
  /** `ExecutionFailed` of each EventBridge Pipe per period. */
  readonly maxPipeFailedExecutions: number;
  /**
   * Messages of the notifications topic a body filter policy dropped per
   * period (each of `NumberOfNotificationsFilteredOut-MessageBody` and
   * `-InvalidMessageBody`): the status pipe publishes only what the notifier
   * subscribes to, so anything filtered out is a payload mismatch.
   */
  readonly maxNotificationsFilteredOut: number;
  /**
   * Notifications the delivery service refused for good per period
   * (notify-customer's EMF metric `NotificationsRefused`): a few are
   * customers' bad addresses or numbers; more is a sender or account
   * refused (unverified identity, sending paused), which refuses them all.
   */
  readonly maxNotificationsRefused: number;
  readonly table: {
    /** Read plus write throttle events per period. */
    readonly maxThrottledEvents: number;
    readonly maxSystemErrors: number;
  };
  /** The order saga's executions per period. */
  readonly workflow: {
    readonly maxFailedExecutions: number;
    readonly maxTimedOutExecutions: number;
    readonly maxThrottledExecutions: number;
  };
  /**
   * The alarms CodeDeploy watches while it shifts a `live` alias (metrics of
   * the alias, i.e. of the new and old version behind it): one that fires
   * rolls the deployment back.
   */
  readonly rollback: {
    readonly period: Duration;
    /** `Errors` of the alias per period. */
    readonly maxErrors: number;
    /** p99 `Duration` of the alias as a percentage of the function's timeout. */
    readonly maxP99DurationPercentOfTimeout: number;
  };
}

/** What every stage alarms on alike: any pipe failure, notification dropped by a filter, DynamoDB system error or failed, timed-out or throttled saga. */
const COMMON = {
  period: Duration.minutes(5),
  evaluationPeriods: 1,
  maxPipeFailedExecutions: 0,
  maxNotificationsFilteredOut: 0,
  workflow: { maxFailedExecutions: 0, maxTimedOutExecutions: 0, maxThrottledExecutions: 0 },
} as const;

/** A stage's own thresholds, on top of COMMON. */
function thresholds(s: {
  maxErrors: number;
  p99PercentOfTimeout: number;
  maxProcessingQueueAge: Duration;
  api: MonitoringConfig['api'];
  maxThrottledEvents: number;
  rollbackMaxErrors: number;
  maxNotificationsRefused: number;
}): MonitoringConfig {
  return {
    ...COMMON,
    functions: { maxErrors: s.maxErrors, maxThrottles: 0, maxP99DurationPercentOfTimeout: s.p99PercentOfTimeout },
    maxProcessingQueueAge: s.maxProcessingQueueAge,
    maxNotificationsRefused: s.maxNotificationsRefused,
    api: s.api,
    table: { maxThrottledEvents: s.maxThrottledEvents, maxSystemErrors: 0 },
    rollback: { period: Duration.minutes(1), maxErrors: s.rollbackMaxErrors, maxP99DurationPercentOfTimeout: s.p99PercentOfTimeout },
  };
}

/** Alarm thresholds per stage (docs/operations.md). */
export const MONITORING: Readonly<Record<StageName, MonitoringConfig>> = {
  // Alarms that tell the developer something broke; nobody is paged.
  dev: thresholds({
    maxErrors: 10,
    p99PercentOfTimeout: 90,
    maxProcessingQueueAge: Duration.minutes(15),
    api: { max5xxRate: 0.05, maxP99Latency: Duration.seconds(5) },
    maxThrottledEvents: 10,
    rollbackMaxErrors: 5,
    maxNotificationsRefused: 10,
  }),
  staging: thresholds({
    maxErrors: 5,
    p99PercentOfTimeout: 80,
    maxProcessingQueueAge: Duration.minutes(10),
    api: { max5xxRate: 0.02, maxP99Latency: Duration.seconds(3) },
    maxThrottledEvents: 5,
    rollbackMaxErrors: 3,
    maxNotificationsRefused: 5,
  }),
  prod: thresholds({
    maxErrors: 5,
    p99PercentOfTimeout: 80,
    maxProcessingQueueAge: Duration.minutes(5),
    api: { max5xxRate: 0.01, maxP99Latency: Duration.seconds(2) },
    maxThrottledEvents: 0,
    rollbackMaxErrors: 2,
    maxNotificationsRefused: 5,
  }),
};
