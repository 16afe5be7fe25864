#!/usr/bin/env node
// Checks the saga's ASL with independent implementations (issue 8,
// "Checked against an independent implementation"):
//   (a) validates each scenario's definition, after its
//       DefinitionSubstitutions, with the npm `asl-validator`;
//   (b) runs each scenario (tests/asl-scenarios/*.json: input, scripted
//       task results per state, expected visited states and output)
//       through the npm `aws-local-stepfunctions` interpreter, with local
//       task handlers and zero retry waits.
// Prints one JSON document: {"validated": [...], "scenarios": [...]}, each
// scenario with its status, visited states, output (or error and cause)
// and the task calls made (state, function, payload). Exits 1 if a
// definition is invalid or a scenario differs from its expectations.
// crates/orders-local-sfn/tests/saga.rs runs the same files through the
// Rust executor and requires identical results.
//
// Usage: node scripts/asl-check.mjs [SCENARIO.json ...]
//        (default: every tests/asl-scenarios/*.json)

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); this is
// the standard's definition, for Node 20.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator');
const { StateMachine } = await import('aws-local-stepfunctions');

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

function substitute(text, values) {
  return text.replace(/\$\{([^}]*)\}/g, (_, name) => {
    if (!(name in values)) throw new Error(`definition substitution "\${${name}}" has no value`);
    return values[name];
  });
}

function scenarioFiles(args) {
  if (args.length > 0) return args.map((a) => resolve(a));
  const dir = join(root, 'tests', 'asl-scenarios');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

async function runScenario(definition, scenario) {
  const answers = Object.fromEntries(
    Object.entries(scenario.tasks ?? {}).map(([state, list]) => [state, [...list]]),
  );
  const calls = [];
  const handlers = {};
  const retryIntervalOverrides = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    retryIntervalOverrides[name] = 0;
    const lambdaInvoke = state.Resource === LAMBDA_INVOKE;
    handlers[name] = async (input) => {
      const fn = lambdaInvoke ? input.FunctionName : state.Resource;
      const payload = lambdaInvoke ? input.Payload : input;
      calls.push({ state: name, function: fn, payload });
      const answer = (answers[name] ?? []).shift() ?? { error: 'Unscripted', cause: `no answer left for ${name}` };
      if ('output' in answer) {
        return lambdaInvoke ? { Payload: answer.output, StatusCode: 200 } : answer.output;
      }
      const error = new Error(answer.cause ?? '');
      error.name = answer.error;
      throw error;
    };
  }
  const machine = new StateMachine(definition);
  const execution = machine.run(scenario.input, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
  });
  const visitedStates = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') visitedStates.push(event.state.name);
    }
  })();
  const result = { status: 'SUCCEEDED', visitedStates, output: null, error: null, cause: null, calls };
  try {
    result.output = await execution.result;
  } catch (e) {
    const failure = e.cause ?? e;
    result.status = e.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : 'FAILED';
    result.error = failure.name ?? null;
    result.cause = failure.message ?? null;
  }
  await collecting;
  return result;
}

function mismatches(result, expected) {
  const problems = [];
  for (const [key, want] of Object.entries(expected)) {
    if (!isDeepStrictEqual(result[key] ?? null, want)) {
      problems.push(`${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(result[key] ?? null)}`);
    }
  }
  return problems;
}

const report = { validated: [], scenarios: [] };
let failed = false;
const validatedKeys = new Set();
for (const file of scenarioFiles(process.argv.slice(2))) {
  const scenario = JSON.parse(readFileSync(file, 'utf8'));
  const text = substitute(readFileSync(join(root, scenario.definition), 'utf8'), scenario.substitutions ?? {});
  const definition = JSON.parse(text);
  const key = `${scenario.definition} ${JSON.stringify(scenario.substitutions ?? {})}`;
  if (!validatedKeys.has(key)) {
    validatedKeys.add(key);
    const { isValid, errorsText } = aslValidator(definition);
    report.validated.push({ definition: scenario.definition, valid: isValid, errors: isValid ? null : errorsText('; ') });
    failed ||= !isValid;
  }
  const result = await runScenario(definition, scenario);
  const problems = mismatches(result, scenario.expected ?? {});
  failed ||= problems.length > 0;
  report.scenarios.push({ file: relative(root, file), name: scenario.name, ...result, problems });
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exit(failed ? 1 : 0);
