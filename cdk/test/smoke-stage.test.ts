import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/smoke-stage.sh (the deploy pipeline's dev-smoke job) with stand-ins
 * for the AWS CLI and python3 on PATH: it must read the stage's ApiUrl and
 * the value of the key ApiKeyId names, and hand both to the demo in
 * API-only mode. No network.
 */
const ROOT = join(__dirname, '..', '..');

function run(stage: string, outputs: { ApiUrl?: string; ApiKeyId?: string }, env: Record<string, string> = {}) {
  const bin = mkdtempSync(join(tmpdir(), 'orders-smoke-'));
  const calls = join(bin, 'calls');
  const answer = (key: string) => outputs[key as keyof typeof outputs] ?? 'None';
  writeFileSync(
    join(bin, 'aws'),
    `#!/usr/bin/env bash
echo "aws $*" >> ${calls}
case "$*" in
  *"OutputKey=='ApiUrl'"*) echo '${answer('ApiUrl')}' ;;
  *"OutputKey=='ApiKeyId'"*) echo '${answer('ApiKeyId')}' ;;
  *"get-api-key --region eu-west-1 --api-key key-id-1 --include-value"*) echo 'the-key-value' ;;
  *) exit 254 ;;
esac
`,
  );
  writeFileSync(join(bin, 'python3'), `#!/usr/bin/env bash\necho "python3 $* DEMO_API_ONLY=$DEMO_API_ONLY" >> ${calls}\n`);
  chmodSync(join(bin, 'aws'), 0o755);
  chmodSync(join(bin, 'python3'), 0o755);
  const r = spawnSync('bash', ['scripts/smoke-stage.sh', stage], {
    cwd: ROOT,
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: bin, AWS_REGION: 'eu-west-1', GITHUB_ACTIONS: 'true', ...env },
    encoding: 'utf8',
  });
  let log = '';
  try {
    log = readFileSync(calls, 'utf8');
  } catch {
    // No call made.
  }
  return { ...r, calls: log.trim().split('\n').filter(Boolean) };
}

describe('scripts/smoke-stage.sh', () => {
  test('reads the URL and the key of Orders-dev-Service and runs the demo on them, API only, the key masked', () => {
    const r = run('dev', { ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/dev/', ApiKeyId: 'key-id-1' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      expect.stringMatching(/^aws cloudformation describe-stacks --region eu-west-1 --stack-name Orders-dev-Service --query .*'ApiUrl'/),
      expect.stringMatching(/^aws cloudformation describe-stacks --region eu-west-1 --stack-name Orders-dev-Service --query .*'ApiKeyId'/),
      'aws apigateway get-api-key --region eu-west-1 --api-key key-id-1 --include-value --query value --output text',
      expect.stringMatching(/^python3 \S+\/scripts\/demo\.py https:\/\/abc\.execute-api\.eu-west-1\.amazonaws\.com\/dev\/ the-key-value DEMO_API_ONLY=1$/),
    ]);
    expect(r.stdout).toMatch(/^::add-mask::the-key-value$/m);
    expect(r.stdout.replace('::add-mask::the-key-value', '')).not.toContain('the-key-value');
  });

  test('the stage region pin wins over AWS_REGION', () => {
    const r = run('dev', { ApiUrl: 'https://x/dev/', ApiKeyId: 'key-id-1' }, { ORDERS_DEV_REGION: 'eu-central-1' });
    expect(r.calls[0]).toContain('--region eu-central-1');
  });

  test('a stage without the outputs, or an unknown stage, is exit 3 and no demo', () => {
    const missing = run('dev', {});
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/has no ApiUrl \/ ApiKeyId output/);
    expect(missing.calls.filter((c) => c.startsWith('python3'))).toEqual([]);
    const unknown = run('qa', {});
    expect(unknown.status).toBe(3);
    expect(unknown.calls).toEqual([]);
  });
});
