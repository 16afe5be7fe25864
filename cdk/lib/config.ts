import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ContextLookup, type Env, NO_CONTEXT, stageTarget } from './deployment-target';
import { MONITORING, type MonitoringConfig } from './monitoring-config';
import { type SettingName, stageSettings } from './stage-settings';
import type { StageName } from './stage-names';
import { STAGE_TUNING, type WorkflowConfig } from './stage-tuning';

// The stage config is read through this module; the pieces live by concern
// (stage names, stage settings, deployment targets, alarm thresholds).
export * from './deployment-target';
export type { MonitoringConfig } from './monitoring-config';
export * from './stage-names';
export * from './stage-settings';
export type { WorkflowConfig, WorkflowType } from './stage-tuning';

/**
 * How CodeDeploy moves a function's `live` alias to a new version
 * (cdk/lib/alias-deployments.ts): `all-at-once` shifts all traffic at once,
 * `linear` 10% more every minute, `canary` 10% for 5 minutes and then the
 * rest. Every style rolls back when a rollback alarm fires during the shift.
 */
export type DeploymentStyle = 'all-at-once' | 'linear' | 'canary';

export interface StageConfig {
  readonly stageName: StageName;
  /** Where the stage deploys. Account may be undefined (environment-agnostic template). */
  readonly env: { readonly account?: string; readonly region: string };
  /** Memory and architecture from contracts/stages.json (the cost model prices them). */
  readonly lambda: {
    readonly memoryMb: number;
    readonly timeout: Duration;
    /** Of every Rust function and its build target: arm64, x86_64 for the emulator. */
    readonly architecture: Architecture;
  };
  /**
   * Synthesized for the local AWS emulator (`-c emulator=true`, dev only;
   * docs/deploy.md): x86_64 functions, no CodeDeploy deployment groups and no
   * metric-math alarms, which the emulator cannot create.
   */
  readonly emulator: boolean;
  /** Retention of every log group of the stage (functions and API access logs). */
  readonly logRetention: RetentionDays;
  /** DynamoDB point-in-time recovery (35 days of continuous backups). */
  readonly pointInTimeRecovery: boolean;
  /** What happens to stateful resources (table, key, queues, dead-letter queues, topic, log groups) when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  readonly api: {
    /** Per-API-key steady-state requests per second and burst (usage plan). */
    readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
    /** Per-API-key request quota. */
    readonly quota: { readonly limit: number; readonly period: Period };
    /** Origins allowed by CORS (preflight, gateway responses and the functions' answers): a stage setting. */
    readonly corsAllowOrigins: readonly string[];
  };
  readonly deploymentStyle: DeploymentStyle;
  /** The order processor (process-orders) and its SQS event source mapping. */
  readonly processor: ProcessorConfig;
  /** Channels of the customer notifier (notify-customer). */
  readonly notifications: NotificationsConfig;
  /** The order saga's state machine (docs/workflow.md), from contracts/stages.json. */
  readonly workflow: WorkflowConfig;

  // --- Operations (issue 9: alarms, dashboard, ops topic, canary rollback) ---
  /** Alarm thresholds, the ops topic's e-mail subscription and the rollback alarms (docs/operations.md). */
  readonly monitoring: MonitoringConfig;
  /** Required stage settings left unset: only ever non-empty in an offline synth (see `stageSettings`). */
  readonly unsetSettings: readonly SettingName[];
}

export interface ProcessorConfig {
  /** Messages per invocation (SQS event source mapping; 10 is the SQS receive maximum). */
  readonly batchSize: number;
  /** How long the event source mapping may wait to fill a batch. */
  readonly maxBatchingWindow: Duration;
  /** Upper bound of concurrent invocations the event source mapping starts (2..1000). */
  readonly maxConcurrency: number;
  /** Function timeout; the processing queue's visibility timeout is six times this. */
  readonly timeout: Duration;
}

export interface NotificationsConfig {
  /** Verified SES sender address (a stage setting); undefined disables e-mail in the stage. */
  readonly emailSender?: string;
  /** Whether the notifier may send SMS (SNS Publish to phone numbers). */
  readonly smsEnabled: boolean;
}

/**
 * `-c emulator=true`: the dev stage as the local AWS emulator (MiniStack) can
 * deploy it (`StageConfig.emulator`; docs/deploy.md, "The emulator synth").
 */
export const EMULATOR_CONTEXT = 'emulator';

function emulatorSelected(context: ContextLookup): boolean {
  const raw = context(EMULATOR_CONTEXT);
  if (raw === undefined || raw === null || raw === '' || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw new Error(`-c ${EMULATOR_CONTEXT}=${String(raw)}: expected true or false`);
}

/** What a stage sets beyond contracts/stages.json (STAGE_TUNING). */
interface StageSpecific {
  readonly timeoutSeconds: number;
  readonly logRetention: RetentionDays;
  readonly pointInTimeRecovery: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly monthlyQuota: number;
  readonly deploymentStyle: DeploymentStyle;
  readonly processor: {
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
  };
  readonly smsEnabled: boolean;
}

const STAGES: Readonly<Record<StageName, StageSpecific>> = {
  dev: {
    timeoutSeconds: 10,
    logRetention: RetentionDays.ONE_WEEK,
    pointInTimeRecovery: false,
    removalPolicy: RemovalPolicy.DESTROY,
    monthlyQuota: 100_000,
    deploymentStyle: 'all-at-once',
    processor: { maxBatchingWindowSeconds: 1, maxConcurrency: 2 },
    smsEnabled: false,
  },
  staging: {
    timeoutSeconds: 10,
    logRetention: RetentionDays.ONE_MONTH,
    pointInTimeRecovery: false,
    removalPolicy: RemovalPolicy.RETAIN,
    monthlyQuota: 1_000_000,
    deploymentStyle: 'linear',
    processor: { maxBatchingWindowSeconds: 2, maxConcurrency: 5 },
    smsEnabled: false,
  },
  prod: {
    timeoutSeconds: 10,
    logRetention: RetentionDays.ONE_YEAR,
    pointInTimeRecovery: true,
    removalPolicy: RemovalPolicy.RETAIN,
    monthlyQuota: 100_000_000,
    deploymentStyle: 'canary',
    processor: { maxBatchingWindowSeconds: 2, maxConcurrency: 20 },
    smsEnabled: true,
  },
};

/** Same throttle in every stage so load tests against staging predict prod. */
const THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/** SQS delivers at most 10 messages per receive; the processor takes full batches everywhere. */
const PROCESSOR_BATCH_SIZE = 10;
/** The processor's timeout in every stage (one batch: 10 conditional updates and publishes). */
const PROCESSOR_TIMEOUT_SECONDS = 20;

/**
 * The typed configuration of one stage. Account and region: the stage's pin
 * (`-c <stage>:account=...`, `ORDERS_<STAGE>_ACCOUNT`; see `stageTarget`),
 * else CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION (set by the CDK CLI from the
 * AWS profile); without either the account stays unset and the region falls
 * back to us-east-1, so `cdk synth` works offline.
 */
export function stageConfig(stageName: StageName, env: Env = process.env, context: ContextLookup = NO_CONTEXT): StageConfig {
  const s = STAGES[stageName];
  const tuning = STAGE_TUNING[stageName];
  const emulator = emulatorSelected(context);
  if (emulator && stageName !== 'dev') {
    throw new Error(`-c ${EMULATOR_CONTEXT}=true synthesizes the dev stage only (add -c stage=dev), not ${stageName}`);
  }
  const target = stageTarget(stageName, env, context);
  const settings = stageSettings(stageName, target, env, context);
  return {
    stageName,
    env: target,
    lambda: {
      memoryMb: tuning.memoryMb,
      timeout: Duration.seconds(s.timeoutSeconds),
      // The emulator runs each bootstrap as a local process: the host's architecture.
      architecture: emulator ? Architecture.X86_64 : tuning.architecture,
    },
    emulator,
    logRetention: s.logRetention,
    pointInTimeRecovery: s.pointInTimeRecovery,
    removalPolicy: s.removalPolicy,
    api: {
      throttle: THROTTLE,
      quota: { limit: s.monthlyQuota, period: Period.MONTH },
      corsAllowOrigins: settings.corsAllowOrigins,
    },
    deploymentStyle: s.deploymentStyle,
    processor: {
      batchSize: PROCESSOR_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(s.processor.maxBatchingWindowSeconds),
      maxConcurrency: s.processor.maxConcurrency,
      timeout: Duration.seconds(PROCESSOR_TIMEOUT_SECONDS),
    },
    notifications: settings.emailSender === undefined
      ? { smsEnabled: s.smsEnabled }
      : { emailSender: settings.emailSender, smsEnabled: s.smsEnabled },
    workflow: tuning.workflow,
    monitoring: settings.opsEmail === undefined ? MONITORING[stageName] : { ...MONITORING[stageName], opsEmail: settings.opsEmail },
    unsetSettings: settings.unset,
  };
}
