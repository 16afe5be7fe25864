import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_NAMES } from '../lib/config';
import { loadStageTuning, STAGES_CONTRACT_PATH } from '../lib/stage-tuning';
import { testStageConfig } from './helpers';

const contract = () => JSON.parse(readFileSync(STAGES_CONTRACT_PATH, 'utf8'));

describe('contracts/stages.json (the settings scripts/cost.py prices)', () => {
  test.each(STAGE_NAMES)('%s: memory, architecture and workflow are the contract\'s', (stage) => {
    const c = contract().stages[stage];
    const config = testStageConfig(stage);
    expect(config.lambda.memoryMb).toBe(c.lambda.memoryMb);
    expect(config.lambda.architecture.name).toBe(c.lambda.architecture);
    expect(config.workflow).toEqual({
      type: c.workflow.type,
      logLevel: c.workflow.logLevel,
      includeExecutionData: c.workflow.includeExecutionData,
      seedStock: c.workflow.seedStock,
    });
  });

  test('a malformed contract fails the synth, naming the setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stages-'));
    const write = (edit: (c: any) => void): string => {
      const c = contract();
      edit(c);
      const p = join(dir, 'stages.json');
      writeFileSync(p, JSON.stringify(c));
      return p;
    };
    expect(() => loadStageTuning(write((c) => (c.stages.prod.lambda.memoryMb = 64)))).toThrow(/prod\.lambda\.memoryMb/);
    expect(() => loadStageTuning(write((c) => (c.stages.dev.lambda.architecture = 'arm')))).toThrow(/dev\.lambda\.architecture/);
    expect(() => loadStageTuning(write((c) => (c.stages.staging.workflow.type = 'Express')))).toThrow(/staging\.workflow\.type/);
    expect(() => loadStageTuning(write((c) => delete c.stages.prod))).toThrow(/no stage prod/);
    expect(() => loadStageTuning(write((c) => (c.stages.qa = c.stages.dev)))).toThrow(/unknown stages qa/);
  });
});
