import type { CfnResource } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_NAMES } from '../lib/config';
import {
  checkedEnvironment,
  FUNCTIONS_CONTRACT,
  FUNCTIONS_CONTRACT_PATH,
  functionsTriggeredBy,
  loadFunctionsContract,
} from '../lib/functions-contract';
import { GATEWAY_CONTRACT } from '../lib/gateway-contract';
import { ORDER_SAGA_DEFINITION_PATH, SAGA_SUBSTITUTIONS } from '../lib/order-saga';
import { LAMBDAS_DIR } from '../lib/paths';
import { buildTestApp, resources } from './helpers';

const testApp = buildTestApp();
const names = (fns: readonly { name: string }[]) => fns.map((f) => f.name).sort();

describe('contracts/functions.json', () => {
  test('is what the CDK app reads, and names every function crate under lambdas/', () => {
    expect(FUNCTIONS_CONTRACT).toEqual(JSON.parse(readFileSync(FUNCTIONS_CONTRACT_PATH, 'utf8')));
    const crates = readdirSync(LAMBDAS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(names(FUNCTIONS_CONTRACT.functions)).toEqual(crates.sort());
  });

  test('its API functions are exactly the functions of the routes of contracts/gateway.json', () => {
    const routed = new Set(GATEWAY_CONTRACT.routes.flatMap((r) => Object.values(r.methods).map((m) => m.function)));
    expect(names(functionsTriggeredBy('api'))).toEqual([...routed].sort());
  });

  test('its saga functions fill exactly the placeholders of the saga ASL', () => {
    const asl = readFileSync(ORDER_SAGA_DEFINITION_PATH, 'utf8');
    const placeholders = [...new Set([...asl.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1]))].sort();
    expect(functionsTriggeredBy('saga').map((f) => f.trigger.substitution).sort()).toEqual(placeholders);
    expect(Object.values(SAGA_SUBSTITUTIONS).sort()).toEqual(placeholders);
  });

  describe.each(STAGE_NAMES)('%s', (stage) => {
    const service = () => testApp.stages.get(stage)!.service;

    test('deploys every function of the contract, and no other', () => {
      expect(service().rustFunctions.map((f) => f.binaryName).sort()).toEqual(names(FUNCTIONS_CONTRACT.functions));
    });

    test.each(FUNCTIONS_CONTRACT.functions.map((f) => [f.name, f] as const))(
      '%s: exactly the contract\'s environment variables',
      (name, spec) => {
        const fn = service().rustFunctions.find((f) => f.binaryName === name)!;
        const id = Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnResource);
        const variables = Object.keys(resources(testApp.template(stage))[id]!.Properties!.Environment.Variables).sort();
        const required = [...FUNCTIONS_CONTRACT.environment.common, ...spec.environment];
        const optional = (spec.optionalEnvironment ?? []).filter((v) => variables.includes(v));
        expect(variables).toEqual([...required, ...optional].sort());
      },
    );
  });

  test('the stages that send e-mail set the optional EMAIL_SENDER; dev does not', () => {
    const envOf = (stage: (typeof STAGE_NAMES)[number]) => {
      const fn = testApp.stages.get(stage)!.service.notifyCustomer;
      const id = Stack.of(fn).getLogicalId(fn.function.node.defaultChild as CfnResource);
      return resources(testApp.template(stage))[id]!.Properties!.Environment.Variables;
    };
    expect(envOf('dev')).not.toHaveProperty('EMAIL_SENDER');
    expect(envOf('prod')).toHaveProperty('EMAIL_SENDER');
  });

  test('a function deployed with a variable the contract does not give it, or without one it does, fails the synth', () => {
    const common = { STAGE: 'dev', RUST_LOG: 'info', METRICS_NAMESPACE: 'Orders' };
    expect(checkedEnvironment('payments', { ...common, ORDERS_TABLE_NAME: 't' })).toEqual({ ...common, ORDERS_TABLE_NAME: 't' });
    expect(() => checkedEnvironment('payments', { ...common, ORDERS_TABLE_NAME: 't', EMAIL_SENDER: 'x' })).toThrow(
      /payments: .*not in the contract EMAIL_SENDER/,
    );
    expect(() => checkedEnvironment('get-order', { ...common, ORDERS_TABLE_NAME: 't' })).toThrow(/get-order: .*missing ALLOWED_ORIGINS/);
    expect(() => checkedEnvironment('no-such-function', common)).toThrow(/no function no-such-function/);
  });

  test('a malformed contract fails the synth', () => {
    const dir = mkdtempSync(join(tmpdir(), 'functions-'));
    const write = (edit: (c: any) => void): string => {
      const c = JSON.parse(readFileSync(FUNCTIONS_CONTRACT_PATH, 'utf8'));
      edit(c);
      const p = join(dir, 'functions.json');
      writeFileSync(p, JSON.stringify(c));
      return p;
    };
    expect(() => loadFunctionsContract(write((c) => c.functions[0].environment.push('NOPE')))).toThrow(/NOPE is not in environment.variables/);
    expect(() => loadFunctionsContract(write((c) => c.functions.push(c.functions[0])))).toThrow(/listed twice/);
    expect(() => loadFunctionsContract(write((c) => (c.functions[0].trigger.type = 'http')))).toThrow(/trigger.type/);
  });
});
