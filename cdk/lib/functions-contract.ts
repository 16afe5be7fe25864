import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS_DIR } from './paths';

/**
 * contracts/functions.json: the Rust functions, how each is triggered and the
 * environment variables it reads, written once. RustLambda deploys a function
 * only with exactly its contract's variables; the Rust side
 * (orders_core::contract) names the variables from the same file.
 */
export const FUNCTIONS_CONTRACT_PATH = join(CONTRACTS_DIR, 'functions.json');

export type TriggerType = 'api' | 'sqs' | 'sns' | 'saga';

export interface FunctionSpec {
  /** The function crate, `lambdas/<name>` (its package and binary). */
  readonly name: string;
  readonly trigger: {
    readonly type: TriggerType;
    /** What feeds an sqs or sns function. */
    readonly source?: string;
    /** The ASL's `DefinitionSubstitutions` key a saga function's ARN fills. */
    readonly substitution?: string;
  };
  /** Variables the stack always sets on the function (beyond `environment.common`). */
  readonly environment: readonly string[];
  /** Variables the stack sets only in some stages (unset means off). */
  readonly optionalEnvironment?: readonly string[];
}

export interface FunctionsContract {
  readonly environment: { readonly common: readonly string[]; readonly variables: Readonly<Record<string, string>> };
  readonly functions: readonly FunctionSpec[];
}

const TRIGGERS: readonly TriggerType[] = ['api', 'sqs', 'sns', 'saga'];

/** Reads and checks the contract (a malformed file is a synth-time error). */
export function loadFunctionsContract(path = FUNCTIONS_CONTRACT_PATH): FunctionsContract {
  const c = JSON.parse(readFileSync(path, 'utf8')) as FunctionsContract;
  const fail = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  const variables = c.environment?.variables ?? fail('environment.variables is required');
  const known = (name: string, where: string) => {
    if (name.startsWith('$') || !(name in variables)) fail(`${where}: ${name} is not in environment.variables`);
  };
  for (const v of c.environment.common ?? fail('environment.common is required')) known(v, 'environment.common');
  const names = new Set<string>();
  for (const f of c.functions ?? fail('functions is required')) {
    if (!/^[a-z][a-z0-9-]*$/.test(f.name)) fail(`function name ${f.name} is not a crate name`);
    if (names.has(f.name)) fail(`function ${f.name} is listed twice`);
    names.add(f.name);
    if (!TRIGGERS.includes(f.trigger?.type)) fail(`${f.name}: trigger.type must be one of ${TRIGGERS.join(', ')}`);
    if (f.trigger.type === 'saga' && !f.trigger.substitution) fail(`${f.name}: a saga function names its substitution`);
    for (const v of [...f.environment, ...(f.optionalEnvironment ?? [])]) known(v, f.name);
  }
  return c;
}

export const FUNCTIONS_CONTRACT: FunctionsContract = loadFunctionsContract();

/** The contract's entry of a function; a function outside the contract is a synth-time error. */
export function functionSpec(name: string, contract: FunctionsContract = FUNCTIONS_CONTRACT): FunctionSpec {
  const spec = contract.functions.find((f) => f.name === name);
  if (spec === undefined) throw new Error(`contracts/functions.json has no function ${name}`);
  return spec;
}

/** The functions of one trigger type, in the contract's order. */
export function functionsTriggeredBy(type: TriggerType, contract: FunctionsContract = FUNCTIONS_CONTRACT): FunctionSpec[] {
  return contract.functions.filter((f) => f.trigger.type === type);
}

/**
 * Checks a function's variables against the contract: every common and
 * required variable, optional ones at most, nothing else. Returns the
 * variables unchanged (their order is part of the function's version hash).
 */
export function checkedEnvironment(name: string, environment: Readonly<Record<string, string>>): Record<string, string> {
  const spec = functionSpec(name);
  const required = [...FUNCTIONS_CONTRACT.environment.common, ...spec.environment];
  const allowed = new Set([...required, ...(spec.optionalEnvironment ?? [])]);
  const missing = required.filter((v) => !(v in environment));
  const extra = Object.keys(environment).filter((v) => !allowed.has(v));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${name}: environment differs from contracts/functions.json` +
        (missing.length > 0 ? `; missing ${missing.join(', ')}` : '') +
        (extra.length > 0 ? `; not in the contract ${extra.join(', ')}` : ''),
    );
  }
  return { ...environment };
}
