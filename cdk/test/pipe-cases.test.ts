/**
 * The shared pipe cases (scripts/emulator/pipe-cases.json), which the
 * emulator run's pipe runner is tested against (scripts/emulator/test_pipe_rules.py),
 * through this suite's own implementation of pattern matching and template
 * rendering (stream-records.ts); and the cases' filters and templates are
 * the ones the stack deploys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORDER_CREATED_TEMPLATE_PATH, ORDER_INSERT_FILTER, ORDER_STATUS_CHANGE_FILTER, ORDER_STATUS_CHANGED_TEMPLATE_PATH, pipeInputTemplate } from '../lib/order-events-pipe';
import { REPO_ROOT } from '../lib/paths';
import { matches, renderRaw } from './stream-records';

type PipeName = 'OrderCreated' | 'OrderStatusChanged';
const PIPES: readonly PipeName[] = ['OrderCreated', 'OrderStatusChanged'];
interface PipeCase {
  readonly name: string;
  readonly record: unknown;
  readonly expect: Record<PipeName, { passes: boolean; message: string | null }>;
}
const file = JSON.parse(readFileSync(join(REPO_ROOT, 'scripts', 'emulator', 'pipe-cases.json'), 'utf8')) as {
  pipes: Record<PipeName, { filter: object; template: string; templateFile: string }>;
  cases: PipeCase[];
};

describe('shared pipe cases (the emulator run\'s pipe runner agrees on them)', () => {
  test('the filters and templates are the stack\'s', () => {
    expect(file.pipes.OrderCreated.filter).toEqual(ORDER_INSERT_FILTER);
    expect(file.pipes.OrderStatusChanged.filter).toEqual(ORDER_STATUS_CHANGE_FILTER);
    expect(file.pipes.OrderCreated.template).toBe(pipeInputTemplate(ORDER_CREATED_TEMPLATE_PATH));
    expect(file.pipes.OrderStatusChanged.template).toBe(pipeInputTemplate(ORDER_STATUS_CHANGED_TEMPLATE_PATH));
  });

  test('each pipe lets some case through and drops others', () => {
    expect(Object.keys(file.pipes).sort()).toEqual([...PIPES].sort());
    for (const pipe of PIPES) {
      const verdicts = file.cases.map((c) => c.expect[pipe].passes);
      expect(verdicts).toContain(true);
      expect(verdicts).toContain(false);
    }
  });

  test.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    for (const pipe of PIPES) {
      const want = c.expect[pipe];
      const { filter, template } = file.pipes[pipe];
      expect({ pipe, passes: matches(filter, c.record) }).toEqual({ pipe, passes: want.passes });
      if (want.passes) expect(renderRaw(template, c.record)).toBe(want.message);
    }
  });
});
