import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// `yaml` 2 (ISC), in node_modules through asl-validator; actionlint (scripts/lint-workflows.sh) checks the syntax.
import { parse } from 'yaml';

/** The pipeline's promises (docs/deploy.md), checked on the workflow files themselves. */
const DIR = join(__dirname, '..', '..', '.github', 'workflows');
const FILES = ['ci.yml', 'deploy.yml', 'deploy-stage.yml'] as const;
const text = (f: string) => readFileSync(join(DIR, f), 'utf8');
const wf = (f: string): any => parse(text(f));

type Job = { name?: string; permissions?: Record<string, string>; steps?: any[]; uses?: string; needs?: string | string[]; environment?: string; if?: string; with?: any };
const jobs = (f: string): Record<string, Job> => wf(f).jobs;
const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const assumesRole = (j: Job) =>
  (j.steps ?? []).some((s) => String(s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@')) ||
  j.uses === './.github/workflows/deploy-stage.yml';

describe('workflows', () => {
  test.each(FILES)('%s: every action is pinned to a full commit SHA with its version as a comment', (f) => {
    const uses = text(f)
      .split('\n')
      .filter((l) => /^\s*(-\s+)?uses:/.test(l))
      .map((l) => l.replace(/^\s*(-\s+)?uses:\s*/, ''));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) {
      if (u.startsWith('./')) continue;
      expect(u).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  test.each(FILES)('%s: contents: read by default; id-token: write exactly on the jobs that assume a role', (f) => {
    expect(wf(f).permissions).toEqual({ contents: 'read' });
    for (const [id, j] of Object.entries(jobs(f))) {
      if (assumesRole(j)) {
        expect([id, j.permissions]).toEqual([id, { contents: 'read', 'id-token': 'write' }]);
      } else {
        expect([id, j.permissions?.['id-token']]).toEqual([id, undefined]);
      }
    }
  });

  test('deploy runs only after CI succeeded for a push to main, on the commit CI tested', () => {
    const d = wf('deploy.yml');
    expect(wf('ci.yml').name).toBe('CI');
    expect(d.on).toEqual({ workflow_run: { workflows: ['CI'], types: ['completed'], branches: ['main'] } });
    const synth = jobs('deploy.yml').synth!;
    for (const cond of [
      "github.event.workflow_run.conclusion == 'success'",
      "github.event.workflow_run.event == 'push'",
      "github.event.workflow_run.head_branch == 'main'",
      'github.event.workflow_run.head_repository.full_name == github.repository',
    ]) {
      expect(synth.if).toContain(cond);
    }
    const inline = Object.values(jobs('deploy.yml')).filter((j) => j.uses === undefined);
    const checkouts = [...inline.flatMap((j) => j.steps ?? []), ...(jobs('deploy-stage.yml').stage!.steps ?? [])].filter((s) =>
      String(s.uses).startsWith('actions/checkout@'),
    );
    expect(checkouts.map((s) => s.with?.ref)).toEqual([
      ...inline.map(() => '${{ github.event.workflow_run.head_sha }}'),
      '${{ inputs.sha }}',
    ]);
    for (const [id, j] of Object.entries(jobs('deploy.yml'))) {
      if (j.uses !== undefined) expect([id, j.with?.sha]).toEqual([id, '${{ github.event.workflow_run.head_sha }}']);
    }
  });

  test('one synth, one assembly: dev, then staging, then prod deploy the uploaded cdk.out', () => {
    const all = jobs('deploy.yml');
    const synthSteps = all.synth!.steps!;
    expect(synthSteps.map((s) => s.run).filter(Boolean)).toContain('bash scripts/synth.sh');
    expect(synthSteps.find((s) => String(s.uses).startsWith('actions/upload-artifact@'))?.with).toMatchObject({ name: 'cloud-assembly', path: 'cloud-assembly.tar' });
    // Nothing else synthesizes.
    const runs = [...Object.values(all), ...Object.values(jobs('deploy-stage.yml'))].flatMap((j) => (j.steps ?? []).map((s) => String(s.run ?? '')));
    expect(runs.filter((r) => /synth/.test(r))).toEqual(['bash scripts/synth.sh']);
    // The chain and its environments.
    const chain = Object.entries(all)
      .filter(([id]) => id !== 'synth')
      .map(([id, j]) => [id, j.needs, j.with?.environment, j.with?.deploy]);
    expect(chain).toEqual([
      ['dev', 'synth', 'dev', true],
      ['dev-smoke', 'dev', undefined, undefined],
      ['staging-diff', 'dev-smoke', 'staging-diff', false],
      ['staging', 'staging-diff', 'staging', true],
      ['prod-diff', 'staging', 'prod-diff', false],
      ['prod', 'prod-diff', 'prod', true],
    ]);
    // The stage job: the assembly of the synth job, a diff into the summary, then (deploy only) cdk deploy --app cdk.out.
    const steps = jobs('deploy-stage.yml').stage!.steps!;
    const download = steps.findIndex((s) => String(s.uses).startsWith('actions/download-artifact@'));
    expect(steps[download].with).toEqual({ name: 'cloud-assembly', path: '.' });
    const untar = steps.findIndex((s) => /^tar -xpf cloud-assembly\.tar\b/.test(String(s.run)));
    const check = steps.findIndex((s) => s.run === 'scripts/check-packaged-bootstraps.sh cdk.out');
    const diff = steps.findIndex((s) => String(s.run).includes('scripts/ci-stage-diff.sh') && String(s.run).includes('$GITHUB_STEP_SUMMARY'));
    const deploy = steps.findIndex((s) => String(s.run).includes('cdk deploy'));
    expect(download).toBeGreaterThanOrEqual(0);
    expect(untar).toBe(download + 1);
    expect(check).toBe(untar + 1);
    expect(diff).toBeGreaterThan(check);
    expect(deploy).toBeGreaterThan(diff);
    expect(steps[deploy].if).toBe('inputs.deploy');
    expect(steps[deploy].run).toMatch(/cdk deploy --app cdk\.out "Orders-\$STAGE\/\*"/);
  });

  test('the assembly travels as a tarball (an artifact restores files as 644) and the synth job checks the packaged bootstraps first', () => {
    const steps = jobs('deploy.yml').synth!.steps!;
    const idx = (p: (s: any) => boolean) => steps.findIndex(p);
    const synth = idx((s) => s.run === 'bash scripts/synth.sh');
    const check = idx((s) => s.run === 'scripts/check-packaged-bootstraps.sh cdk.out');
    const tar = idx((s) => /^tar (--exclude='\.cache' )?-cf cloud-assembly\.tar cdk\.out$/.test(String(s.run)));
    const upload = idx((s) => String(s.uses).startsWith('actions/upload-artifact@'));
    expect([synth, check, tar, upload].every((i) => i >= 0)).toBe(true);
    expect(synth < check && check < tar && tar < upload).toBe(true);
  });

  test('dev-smoke: after the dev deploy and before anything of staging, the demo against the deployed dev API with the dev deploy role', () => {
    const all = jobs('deploy.yml');
    const smoke = all['dev-smoke']!;
    expect(smoke.needs).toBe('dev');
    expect(smoke.environment).toBe('dev');
    // Every staging and prod job waits for it (staging-diff directly, the rest through it).
    const upstream = (id: string): string[] => asList(all[id]!.needs).flatMap((n) => [n, ...upstream(n)]);
    for (const id of ['staging-diff', 'staging', 'prod-diff', 'prod']) expect([id, upstream(id)]).toEqual([id, expect.arrayContaining(['dev', 'dev-smoke'])]);
    expect(all['staging-diff']!.needs).toBe('dev-smoke');
    const steps = smoke.steps!;
    expect(steps.find((s) => String(s.uses).startsWith('actions/checkout@'))?.with?.ref).toBe('${{ github.event.workflow_run.head_sha }}');
    const creds = steps.findIndex((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
    expect(steps[creds].with['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    const run = steps.findIndex((s) => s.run === 'scripts/smoke-stage.sh dev');
    expect(run).toBeGreaterThan(creds);
    // The script reads the stage's URL and key, and runs the demo in API-only mode.
    const script = readFileSync(join(DIR, '..', '..', 'scripts', 'smoke-stage.sh'), 'utf8');
    expect(script).toMatch(/OutputKey=='\$1'/);
    expect(script).toMatch(/output ApiUrl\)/);
    expect(script).toMatch(/apigateway get-api-key [^\n]*--include-value/);
    expect(script).toMatch(/DEMO_API_ONLY=1 exec scripts\/demo\.sh "\$url" "\$key"/);
  });

  test.each(FILES)('%s: actions run on node24 and jobs on the Node of .nvmrc (Node 20 is end of life)', (f) => {
    const nvmrc = readFileSync(join(DIR, '..', '..', '.nvmrc'), 'utf8').trim();
    expect(Number(nvmrc)).toBeGreaterThanOrEqual(24);
    const all = Object.values(jobs(f)).flatMap((j) => j.steps ?? []);
    for (const s of all.filter((x) => String(x.uses).startsWith('actions/setup-node@'))) {
      expect(s.with).toMatchObject({ 'node-version-file': '.nvmrc' });
      expect(s.with['node-version']).toBeUndefined();
    }
    // The first major of each action whose action.yml says `using: node24`.
    const node24: Record<string, number> = {
      'actions/checkout': 5,
      'actions/setup-node': 5,
      'actions/setup-python': 6,
      'actions/setup-java': 5,
      'actions/cache': 5,
      'actions/upload-artifact': 6,
      'actions/download-artifact': 7,
      'aws-actions/configure-aws-credentials': 6,
    };
    for (const line of text(f).split('\n').filter((l) => /uses: [\w-]+\/[\w-]+@/.test(l))) {
      const [, action, major] = /uses: ([\w-]+\/[\w-]+)@\S+ # v(\d+)/.exec(line) ?? [];
      if (action === undefined || !(action in node24)) continue;
      expect([action, Number(major) >= node24[action]!]).toEqual([action, true]);
    }
  });

  test('pull requests: the offline diff as before, and the deployed-dev diff when AWS_DIFF_ROLE_ARN is set', () => {
    const ci = jobs('ci.yml');
    expect(ci['cdk-diff']!.if).toBe("github.event_name == 'pull_request'");
    const live = ci['cdk-diff-deployed']!;
    expect(live.if).toContain("vars.AWS_DIFF_ROLE_ARN != ''");
    expect(live.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    const creds = live.steps!.find((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
    expect(creds.with['role-to-assume']).toBe('${{ vars.AWS_DIFF_ROLE_ARN }}');
    expect(live.steps!.map((s) => String(s.run ?? '')).join('\n')).toMatch(/synth-templates\.sh[^\n]*dev[\s\S]*ci-stage-diff\.sh dev [^\n]*GITHUB_STEP_SUMMARY/);
  });
});
