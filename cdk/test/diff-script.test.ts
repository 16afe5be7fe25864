import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_NAMES } from '../lib/config';

/**
 * `npm run diff:<stage>` (README, docs/cdk.md) works offline and builds no
 * Rust: scripts/diff.sh synthesizes with bundling skipped and hands the
 * assembly to `cdk diff --app`. One real run for dev (about half a minute:
 * the app is synthesized once, no cargo), the argument checks for all.
 */
const ROOT = join(__dirname, '..', '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

function run(args: string[], env: Record<string, string | undefined>) {
  return spawnSync('bash', ['scripts/diff.sh', ...args], {
    cwd: ROOT,
    env: { ...process.env, CDK_DEFAULT_ACCOUNT: undefined, ...env },
    encoding: 'utf8',
    timeout: 280_000,
  });
}

describe('npm run diff:<stage>', () => {
  test.each(STAGE_NAMES)('diff:%s runs scripts/diff.sh for that stage', (stage) => {
    expect(PACKAGE.scripts[`diff:${stage}`]).toBe(`bash scripts/diff.sh ${stage}`);
  });

  test('refuses an unknown stage and a missing BASE_TEMPLATE before synthesizing anything', () => {
    const unknown = run(['qa'], { BASE_TEMPLATE: 'x.json' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown stage qa/);
    const missing = run(['dev'], { BASE_TEMPLATE: undefined });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/set BASE_TEMPLATE/);
  });

  test(
    'dev: an offline cdk diff against the base template, and no Rust build',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'orders-diff-'));
      const base = join(dir, 'base.json');
      writeFileSync(base, JSON.stringify({ Resources: {} }));
      // No AWS credentials or region that could be used: the diff must not need them.
      const r = run(['dev'], { BASE_TEMPLATE: base, AWS_PROFILE: 'orders-no-such-profile', AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
      // The CLI prints the diff on stderr.
      const printed = `${r.stdout}${r.stderr}`;
      expect(r.status).toBe(0);
      expect(printed).toMatch(/Stack Orders-dev\/Service/);
      expect(printed).toMatch(/\[\+\] AWS::DynamoDB::Table/);
      // Only the dev stage was synthesized, and no function was bundled (no
      // asset directory holds a `bootstrap` binary).
      const out = join(ROOT, '.local', 'diff', 'dev.out');
      expect(readdirSync(out).filter((n) => n.startsWith('assembly-'))).toEqual(['assembly-Orders-dev']);
      const assetDirs = readdirSync(out)
        .map((n) => join(out, n))
        .filter((p) => p.includes('asset.') && statSync(p).isDirectory());
      for (const d of assetDirs) expect(existsSync(join(d, 'bootstrap'))).toBe(false);
    },
    300_000,
  );
});
