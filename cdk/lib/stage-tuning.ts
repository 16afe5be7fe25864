import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS_DIR } from './paths';
import { STAGE_NAMES, type StageName } from './stage-names';

/**
 * contracts/stages.json: the stage settings the cost model prices (memory,
 * architecture, workflow). scripts/cost.py reads the same file, so the
 * deployed stage and the cost table cannot disagree.
 */
export const STAGES_CONTRACT_PATH = join(CONTRACTS_DIR, 'stages.json');

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

export interface StageTuning {
  readonly memoryMb: number;
  readonly architecture: Architecture;
  readonly workflow: WorkflowConfig;
}

const ARCHITECTURES: Readonly<Record<string, Architecture>> = { arm64: Architecture.ARM_64, x86_64: Architecture.X86_64 };
const LOG_LEVELS: Readonly<Record<string, LogLevel>> = {
  ALL: LogLevel.ALL,
  ERROR: LogLevel.ERROR,
  FATAL: LogLevel.FATAL,
  OFF: LogLevel.OFF,
};

interface RawStage {
  readonly lambda?: { readonly memoryMb?: unknown; readonly architecture?: unknown };
  readonly workflow?: {
    readonly type?: unknown;
    readonly logLevel?: unknown;
    readonly includeExecutionData?: unknown;
    readonly seedStock?: unknown;
  };
}

/** Reads and checks the contract (a malformed file is a synth-time error). */
export function loadStageTuning(path = STAGES_CONTRACT_PATH): Readonly<Record<StageName, StageTuning>> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { stages?: Record<string, RawStage> };
  const fail = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  const stages = raw.stages ?? fail('no stages');
  const extra = Object.keys(stages).filter((n) => !(STAGE_NAMES as readonly string[]).includes(n));
  if (extra.length > 0) fail(`unknown stages ${extra.join(', ')}`);
  const one = (name: StageName): StageTuning => {
    const s = stages[name] ?? fail(`no stage ${name}`);
    const memoryMb = s.lambda?.memoryMb;
    if (typeof memoryMb !== 'number' || !Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10240) {
      fail(`${name}.lambda.memoryMb must be an integer in 128..10240`);
    }
    const architecture = ARCHITECTURES[String(s.lambda?.architecture)] ?? fail(`${name}.lambda.architecture must be arm64 or x86_64`);
    const w = s.workflow ?? fail(`${name}.workflow is required`);
    if (w.type !== 'STANDARD' && w.type !== 'EXPRESS') fail(`${name}.workflow.type must be STANDARD or EXPRESS`);
    const logLevel = LOG_LEVELS[String(w.logLevel)] ?? fail(`${name}.workflow.logLevel must be one of ${Object.keys(LOG_LEVELS).join(', ')}`);
    if (typeof w.includeExecutionData !== 'boolean' || typeof w.seedStock !== 'boolean') {
      fail(`${name}.workflow.includeExecutionData and .seedStock must be booleans`);
    }
    return {
      memoryMb: memoryMb as number,
      architecture,
      workflow: {
        type: w.type as WorkflowType,
        logLevel,
        includeExecutionData: w.includeExecutionData as boolean,
        seedStock: w.seedStock as boolean,
      },
    };
  };
  return { dev: one('dev'), staging: one('staging'), prod: one('prod') };
}

export const STAGE_TUNING: Readonly<Record<StageName, StageTuning>> = loadStageTuning();
