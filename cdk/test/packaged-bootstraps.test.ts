import { App, Stack, Stage } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackagedBootstraps, zipEntries } from '../tools/packaged-bootstraps';

/**
 * scripts/check-packaged-bootstraps.sh on small assemblies: one function
 * whose asset directory holds a fake `bootstrap`, packaged by cdk-assets-lib
 * as `cdk deploy` packages it. The real assembly is checked in test-all.sh
 * right after the arm64 synth, and by each deploy job before it deploys.
 */
function assembly(files: Record<string, { text: string; mode: number }>): string {
  const root = mkdtempSync(join(tmpdir(), 'orders-packaged-'));
  const src = join(root, 'src');
  mkdirSync(src);
  for (const [name, { text, mode }] of Object.entries(files)) {
    writeFileSync(join(src, name), text);
    chmodSync(join(src, name), mode);
  }
  const outdir = join(root, 'cdk.out');
  const app = new App({ outdir });
  // In a Stage, as the Orders stages: the asset is staged in the outer assembly (`../asset.<hash>`).
  const stack = new Stack(new Stage(app, 'Orders-fixture'), 'Fixture');
  new LambdaFunction(stack, 'Fn', { runtime: Runtime.PROVIDED_AL2023, handler: 'bootstrap', code: Code.fromAsset(src), description: 'fixture' });
  // A Node.js function has no bootstrap and is not checked.
  new LambdaFunction(stack, 'NodeFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>1') });
  app.synth();
  return outdir;
}

/** The staged copy of the function's asset directory in the assembly. */
function stagedBootstrap(outdir: string): string {
  const dir = readdirSync(outdir).find((n) => n.startsWith('asset.') && statSync(join(outdir, n)).isDirectory());
  if (!dir) throw new Error('no staged asset directory');
  return join(outdir, dir, 'bootstrap');
}

describe('every Rust function packaged as cdk deploy packages it holds an executable bootstrap', () => {
  test('an executable bootstrap: packaged with unix mode 0755, no problem', async () => {
    const out = assembly({ bootstrap: { text: '#!/bin/sh\n', mode: 0o755 }, 'README.txt': { text: 'x', mode: 0o644 } });
    const { functions, problems } = await checkPackagedBootstraps(out);
    expect(problems).toEqual([]);
    expect(functions.map((f) => f.label)).toEqual([expect.stringMatching(/^Orders-fixture\/Fixture Fn[0-9A-F]+ \(fixture\)$/)]);
    const entries = zipEntries(functions[0]!.zip);
    expect(entries).toEqual(expect.arrayContaining([{ name: 'bootstrap', mode: 0o755 }, { name: 'README.txt', mode: 0o644 }]));
  });

  test('a bootstrap restored as 0644 (what actions/upload-artifact does) fails, naming the mode', async () => {
    const out = assembly({ bootstrap: { text: '#!/bin/sh\n', mode: 0o755 } });
    chmodSync(stagedBootstrap(out), 0o644);
    const { functions, problems } = await checkPackagedBootstraps(out);
    expect(functions).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/^Orders-fixture\/Fixture Fn[0-9A-F]+ \(fixture\): bootstrap has mode 0644, not 0755/)]);
  });

  test('the assembly passed through tar (the pipeline: tar, upload, download, untar) keeps 0755', async () => {
    const out = assembly({ bootstrap: { text: '#!/bin/sh\n', mode: 0o755 } });
    const moved = mkdtempSync(join(tmpdir(), 'orders-untarred-'));
    const tarball = join(moved, 'cloud-assembly.tar');
    execFileSync('tar', ['-cf', tarball, '-C', join(out, '..'), 'cdk.out']);
    execFileSync('tar', ['-xpf', tarball, '-C', moved]);
    const { functions, problems } = await checkPackagedBootstraps(join(moved, 'cdk.out'));
    expect(problems).toEqual([]);
    expect(functions).toHaveLength(1);
  });

  test('an asset without a bootstrap fails', async () => {
    const out = assembly({ 'handler.bin': { text: 'x', mode: 0o755 } });
    const { problems } = await checkPackagedBootstraps(out);
    expect(problems).toEqual([expect.stringMatching(/: the zip has no bootstrap at its root$/)]);
  });

  test('an asset that was not bundled (a template-only synth points at the source tree) is a problem, not zipped', async () => {
    const out = assembly({ bootstrap: { text: '#!/bin/sh\n', mode: 0o755 } });
    const nested = join(out, 'assembly-Orders-fixture');
    const manifestFile = join(nested, readdirSync(nested).find((n) => n.endsWith('.assets.json'))!);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    for (const f of Object.values<any>(manifest.files)) if (f.source.packaging === 'zip') f.source.path = tmpdir();
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const { functions, problems } = await checkPackagedBootstraps(out);
    expect(functions).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/: asset [0-9a-f]+ was not bundled \(source .* is outside the assembly\)$/)]);
  });

  test('a directory that is not an assembly is an error, an assembly without Rust functions a problem', async () => {
    await expect(checkPackagedBootstraps(tmpdir())).rejects.toThrow(/not a cloud assembly/);
    const outdir = mkdtempSync(join(tmpdir(), 'orders-empty-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'NodeOnly');
    new LambdaFunction(stack, 'NodeFn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler=async()=>1') });
    app.synth();
    expect((await checkPackagedBootstraps(outdir)).problems).toEqual([expect.stringMatching(/no Rust function/)]);
  });
});
