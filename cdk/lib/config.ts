import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import { MONITORING, type MonitoringConfig } from './monitoring-config';

export type { MonitoringConfig } from './monitoring-config';

/** The environments the Orders service is deployed to, in promotion order. */
export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

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
    /** Origins allowed by CORS (preflight and gateway responses). */
    readonly corsAllowOrigins: readonly string[];
  };
  readonly deploymentStyle: DeploymentStyle;
  /** The order processor (process-orders) and its SQS event source mapping. */
  readonly processor: ProcessorConfig;
  /** Channels of the customer notifier (notify-customer). */
  readonly notifications: NotificationsConfig;
  /** The order saga's state machine (docs/workflow.md). */
  readonly workflow: WorkflowConfig;

  // --- Operations (issue 9: alarms, dashboard, ops topic, canary rollback) ---
  /** Alarm thresholds, the ops topic's e-mail subscription and the rollback alarms (docs/operations.md). */
  readonly monitoring: MonitoringConfig;
}

/**
 * Standard keeps an execution history and refuses a second execution of the
 * same name; Express costs about 100x less per order at volume and is at
 * least once (every saga step is idempotent, so both are correct).
 */
export type WorkflowType = 'STANDARD' | 'EXPRESS';

export interface WorkflowConfig {
  readonly type: WorkflowType;
  /** What the state machine writes to its log group. */
  readonly logLevel: LogLevel;
  /** Whether log entries carry state input and output (order ids, payment results). */
  readonly includeExecutionData: boolean;
  /** Whether the deploy seeds the stock of contracts/stock/seed.json (never overwriting stock). */
  readonly seedStock: boolean;
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
  /** Verified SES sender address; undefined disables e-mail in the stage. */
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

/** Region used when the CLI/environment does not tell us one (offline synth). */
export const FALLBACK_REGION = 'us-east-1';

type Env = Readonly<Record<string, string | undefined>>;

interface StageSpecific {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly logRetention: RetentionDays;
  readonly pointInTimeRecovery: boolean;
  readonly removalPolicy: RemovalPolicy;
  readonly monthlyQuota: number;
  readonly corsAllowOrigins: readonly string[];
  readonly deploymentStyle: DeploymentStyle;
  readonly processor: {
    readonly maxBatchingWindowSeconds: number;
    readonly maxConcurrency: number;
  };
  readonly emailSender?: string;
  readonly smsEnabled: boolean;
  readonly workflow: WorkflowConfig;
}

const STAGES: Readonly<Record<StageName, StageSpecific>> = {
  dev: {
    memoryMb: 256,
    timeoutSeconds: 10,
    logRetention: RetentionDays.ONE_WEEK,
    pointInTimeRecovery: false,
    removalPolicy: RemovalPolicy.DESTROY,
    monthlyQuota: 100_000,
    corsAllowOrigins: ['http://localhost:3000'],
    deploymentStyle: 'all-at-once',
    processor: { maxBatchingWindowSeconds: 1, maxConcurrency: 2 },
    smsEnabled: false,
    // Execution history and full logs to debug with.
    workflow: { type: 'STANDARD', logLevel: LogLevel.ALL, includeExecutionData: true, seedStock: true },
  },
  staging: {
    // As prod (docs/cost.md: the memory sweep).
    memoryMb: 768,
    timeoutSeconds: 10,
    logRetention: RetentionDays.ONE_MONTH,
    pointInTimeRecovery: false,
    removalPolicy: RemovalPolicy.RETAIN,
    monthlyQuota: 1_000_000,
    corsAllowOrigins: ['https://staging.orders.example.com'],
    deploymentStyle: 'linear',
    processor: { maxBatchingWindowSeconds: 2, maxConcurrency: 5 },
    emailSender: 'orders@staging.orders.example.com',
    smsEnabled: false,
    // As prod, so load tests see prod's workflow; stock to test with.
    workflow: { type: 'EXPRESS', logLevel: LogLevel.ERROR, includeExecutionData: false, seedStock: true },
  },
  prod: {
    // Right-sized by scripts/cost.py (docs/cost.md): the cheapest setting that
    // keeps create-order within 2 ms of a full vCPU; the functions mostly wait
    // on DynamoDB, Step Functions and SES, which memory does not shorten.
    memoryMb: 768,
    timeoutSeconds: 10,
    logRetention: RetentionDays.ONE_YEAR,
    pointInTimeRecovery: true,
    removalPolicy: RemovalPolicy.RETAIN,
    monthlyQuota: 100_000_000,
    corsAllowOrigins: ['https://orders.example.com'],
    deploymentStyle: 'canary',
    processor: { maxBatchingWindowSeconds: 2, maxConcurrency: 20 },
    emailSender: 'orders@orders.example.com',
    smsEnabled: true,
    // Real stock is set with `orders-admin stock`, never by a deploy.
    workflow: { type: 'EXPRESS', logLevel: LogLevel.ERROR, includeExecutionData: false, seedStock: false },
  },
};

/** Same throttle in every stage so load tests against staging predict prod. */
const THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/** SQS delivers at most 10 messages per receive; the processor takes full batches everywhere. */
const PROCESSOR_BATCH_SIZE = 10;
/** The processor's timeout in every stage (one batch: 10 conditional updates and publishes). */
const PROCESSOR_TIMEOUT_SECONDS = 20;

export function isStageName(value: string): value is StageName {
  return (STAGE_NAMES as readonly string[]).includes(value);
}

/**
 * The typed configuration of one stage. Account and region: the stage's pin
 * (`-c <stage>:account=...`, `ORDERS_<STAGE>_ACCOUNT`; see `stageTarget`),
 * else CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION (set by the CDK CLI from the
 * AWS profile); without either the account stays unset and the region falls
 * back to us-east-1, so `cdk synth` works offline.
 */
export function stageConfig(stageName: StageName, env: Env = process.env, context: ContextLookup = NO_CONTEXT): StageConfig {
  const s = STAGES[stageName];
  const emulator = emulatorSelected(context);
  if (emulator && stageName !== 'dev') {
    throw new Error(`-c ${EMULATOR_CONTEXT}=true synthesizes the dev stage only (add -c stage=dev), not ${stageName}`);
  }
  return {
    stageName,
    env: stageTarget(stageName, env, context),
    lambda: {
      memoryMb: s.memoryMb,
      timeout: Duration.seconds(s.timeoutSeconds),
      // The emulator runs each bootstrap as a local process: the host's architecture.
      architecture: emulator ? Architecture.X86_64 : Architecture.ARM_64,
    },
    emulator,
    logRetention: s.logRetention,
    pointInTimeRecovery: s.pointInTimeRecovery,
    removalPolicy: s.removalPolicy,
    api: {
      throttle: THROTTLE,
      quota: { limit: s.monthlyQuota, period: Period.MONTH },
      corsAllowOrigins: s.corsAllowOrigins,
    },
    deploymentStyle: s.deploymentStyle,
    processor: {
      batchSize: PROCESSOR_BATCH_SIZE,
      maxBatchingWindow: Duration.seconds(s.processor.maxBatchingWindowSeconds),
      maxConcurrency: s.processor.maxConcurrency,
      timeout: Duration.seconds(PROCESSOR_TIMEOUT_SECONDS),
    },
    notifications: s.emailSender === undefined
      ? { smsEnabled: s.smsEnabled }
      : { emailSender: s.emailSender, smsEnabled: s.smsEnabled },
    workflow: s.workflow,
    monitoring: MONITORING[stageName],
  };
}

// ---------------------------------------------------------------------------
// Deployment targets and the account bootstrap (issue 9: "the first deploy
// must succeed", "once per account"). Kept apart from the stage tuning above.
// ---------------------------------------------------------------------------

/** How the app reads CDK context (`app.node.tryGetContext`); tests pass a map. */
export type ContextLookup = (key: string) => unknown;
const NO_CONTEXT: ContextLookup = () => undefined;

const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Where a stack deploys: a pinned account/region, or environment-agnostic (account unset). */
export interface DeploymentTarget {
  readonly account?: string;
  readonly region: string;
}

/**
 * Set (for example in the pipeline's synth job) to make a missing stage pin an
 * error instead of an environment-agnostic stack.
 */
export const REQUIRE_PINNED_ACCOUNTS_ENV = 'ORDERS_REQUIRE_PINNED_ACCOUNTS';

/** `ORDERS_PROD_ACCOUNT`, `ORDERS_BOOTSTRAP_REGION`, ... */
export function pinVariable(scope: string, what: 'account' | 'region'): string {
  return `ORDERS_${scope.toUpperCase()}_${what.toUpperCase()}`;
}

/**
 * One pinned value: `-c <scope>:<what>=...` or the environment variable
 * `ORDERS_<SCOPE>_<WHAT>`. Both set and different is an error (which one
 * would be meant?); a malformed value is an error.
 */
function pinned(scope: string, what: 'account' | 'region', env: Env, context: ContextLookup): string | undefined {
  const key = `${scope}:${what}`;
  const variable = pinVariable(scope, what);
  const raw = context(key);
  const fromContext = raw === undefined || raw === null || raw === '' ? undefined : String(raw);
  const fromEnv = env[variable] || undefined;
  if (fromContext !== undefined && fromEnv !== undefined && fromContext !== fromEnv) {
    throw new Error(`-c ${key}=${fromContext} and ${variable}=${fromEnv} disagree; set one of them`);
  }
  const value = fromContext ?? fromEnv;
  const pattern = what === 'account' ? ACCOUNT_ID : REGION_NAME;
  if (value !== undefined && !pattern.test(value)) {
    throw new Error(`${key} (${variable}) = "${value}" is not an AWS ${what === 'account' ? 'account id (12 digits)' : 'region'}`);
  }
  return value;
}

/**
 * The account and region of a stage. A pinned account (`-c prod:account=...`
 * or `ORDERS_PROD_ACCOUNT`) makes the stack's env that account, so the CDK
 * CLI refuses to deploy it with credentials of any other account; the pinned
 * region likewise. Unpinned, the account falls back to CDK_DEFAULT_ACCOUNT
 * (the CLI's profile) or stays unset (environment-agnostic, offline synth),
 * unless ORDERS_REQUIRE_PINNED_ACCOUNTS is set, which makes it an error.
 */
export function stageTarget(scope: string, env: Env = process.env, context: ContextLookup = NO_CONTEXT): DeploymentTarget {
  const pinnedAccount = pinned(scope, 'account', env, context);
  if (pinnedAccount === undefined && env[REQUIRE_PINNED_ACCOUNTS_ENV]) {
    throw new Error(
      `${scope} has no pinned account: set ${pinVariable(scope, 'account')} (or -c ${scope}:account=...); ${REQUIRE_PINNED_ACCOUNTS_ENV} is set`,
    );
  }
  const account = pinnedAccount ?? (env.CDK_DEFAULT_ACCOUNT || undefined);
  const region = pinned(scope, 'region', env, context) ?? (env.CDK_DEFAULT_REGION || FALLBACK_REGION);
  return account ? { account, region } : { region };
}

/** The qualifier `cdk bootstrap` uses unless told otherwise (the bootstrap roles' names carry it). */
export const DEFAULT_CDK_QUALIFIER = 'hnb659fds';

/** The configuration of the once-per-account stack (cdk/lib/account-bootstrap-stack.ts). */
export interface AccountBootstrapConfig {
  readonly env: DeploymentTarget;
  /**
   * `OWNER/REPO` whose GitHub Actions may assume the roles; when unset here,
   * the stack's `GitHubRepository` parameter must be given at deploy time.
   */
  readonly githubRepository?: string;
  /** The environments (stages) whose GitHub deploy roles live in this account. */
  readonly environments: readonly StageName[];
  /** Qualifier of the account's CDK bootstrap (`cdk bootstrap --qualifier`). */
  readonly cdkQualifier: string;
  /** An existing IAM OIDC provider for token.actions.githubusercontent.com to reuse (one per URL per account). */
  readonly existingGitHubOidcProviderArn?: string;
}

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Context keys (`-c key=value`) and environment variables of the bootstrap:
 * `bootstrap:account` / `ORDERS_BOOTSTRAP_ACCOUNT` (and `:region`),
 * `github:repository` / `ORDERS_GITHUB_REPOSITORY` (or GitHub's own
 * `GITHUB_REPOSITORY`), `bootstrap:environments` (`dev,staging`; default
 * all), `bootstrap:cdkQualifier`, `bootstrap:githubOidcProviderArn`.
 */
export function accountBootstrapConfig(env: Env = process.env, context: ContextLookup = NO_CONTEXT): AccountBootstrapConfig {
  const text = (key: string): string | undefined => {
    const v = context(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const githubRepository = text('github:repository') ?? (env.ORDERS_GITHUB_REPOSITORY || env.GITHUB_REPOSITORY || undefined);
  if (githubRepository !== undefined && !GITHUB_REPOSITORY.test(githubRepository)) {
    throw new Error(`github:repository = "${githubRepository}" is not OWNER/REPO`);
  }
  const rawEnvironments = context('bootstrap:environments') ?? env.ORDERS_BOOTSTRAP_ENVIRONMENTS;
  const names =
    rawEnvironments === undefined || rawEnvironments === ''
      ? [...STAGE_NAMES]
      : (Array.isArray(rawEnvironments) ? rawEnvironments.map(String) : String(rawEnvironments).split(','))
          .map((n) => n.trim())
          .filter((n) => n.length > 0);
  for (const n of names) {
    if (!isStageName(n)) throw new Error(`bootstrap:environments: unknown stage "${n}"; expected ${STAGE_NAMES.join(', ')}`);
  }
  const cdkQualifier = text('bootstrap:cdkQualifier') ?? DEFAULT_CDK_QUALIFIER;
  if (!/^[A-Za-z0-9_-]{1,10}$/.test(cdkQualifier)) throw new Error(`bootstrap:cdkQualifier = "${cdkQualifier}" is not a CDK qualifier`);
  const existing = text('bootstrap:githubOidcProviderArn');
  return {
    env: stageTarget('bootstrap', { ...env, [REQUIRE_PINNED_ACCOUNTS_ENV]: undefined }, context),
    ...(githubRepository === undefined ? {} : { githubRepository }),
    environments: STAGE_NAMES.filter((s) => names.includes(s)),
    cdkQualifier,
    ...(existing === undefined ? {} : { existingGitHubOidcProviderArn: existing }),
  };
}
