import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { computeRustSourceHash, rustAssetHash, rustSourceFiles } from '../lib/source-hash';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'orders-hash-'));
  for (const [p, content] of Object.entries(files)) write(root, p, content);
  return root;
}
function write(root: string, p: string, content: string): void {
  mkdirSync(dirname(join(root, p)), { recursive: true });
  writeFileSync(join(root, p), content);
}

describe('stable Rust source hash', () => {
  let root: string;
  beforeEach(() => {
    root = tree({
      'Cargo.toml': '[workspace]',
      'Cargo.lock': 'lock',
      'crates/orders-core/Cargo.toml': '[package]',
      'crates/orders-core/src/lib.rs': 'pub fn a() {}',
      'crates/orders-core/templates/completed.email.txt': 'Hello',
      'lambdas/create-order/src/main.rs': 'fn main() {}',
      'contracts/schemas/create-order.schema.json': '{}',
      'docs/readme.md': 'docs',
      'cdk/lib/x.ts': 'ts',
      'target/release/junk': 'x',
      'crates/orders-core/tests/it.rs': '#[test] fn t() {}',
      'lambdas/create-order/tests/fixtures/event.json': '{}',
    });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('covers manifests, lockfile, crate sources and embedded files, and contracts only', () => {
    expect(rustSourceFiles(root)).toEqual([
      'Cargo.lock',
      'Cargo.toml',
      'contracts/schemas/create-order.schema.json',
      'crates/orders-core/Cargo.toml',
      'crates/orders-core/src/lib.rs',
      'crates/orders-core/templates/completed.email.txt',
      'lambdas/create-order/src/main.rs',
    ]);
  });

  test('is deterministic', () => {
    expect(computeRustSourceHash(root)).toBe(computeRustSourceHash(root));
    expect(computeRustSourceHash(root)).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    'Cargo.lock',
    'crates/orders-core/src/lib.rs',
    'crates/orders-core/templates/completed.email.txt',
    'contracts/schemas/create-order.schema.json',
    'crates/orders-core/Cargo.toml',
  ])(
    'changes when %s changes',
    (p) => {
      const before = computeRustSourceHash(root);
      write(root, p, 'changed');
      expect(computeRustSourceHash(root)).not.toBe(before);
    },
  );

  test('a new source file changes it', () => {
    const before = computeRustSourceHash(root);
    write(root, 'crates/orders-core/src/new.rs', '');
    expect(computeRustSourceHash(root)).not.toBe(before);
  });

  test.each([
    'docs/readme.md',
    'cdk/lib/x.ts',
    'target/release/junk',
    'crates/orders-core/tests/it.rs',
    'lambdas/create-order/tests/fixtures/event.json',
  ])('ignores %s', (p) => {
    const before = computeRustSourceHash(root);
    write(root, p, 'changed');
    expect(computeRustSourceHash(root)).toBe(before);
  });

  test('the repository itself hashes', () => {
    expect(computeRustSourceHash(join(__dirname, '..', '..'))).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('rustAssetHash: sources and build settings', () => {
  const base = { architecture: 'arm64', profile: 'release', features: ['a', 'b'], cargoLambdaFlags: ['--locked'], environment: { A: '1', B: '2' } };

  test('binary, source hash and settings; the same settings in another order give the same hash', () => {
    const h = rustAssetHash('create-order', 'src', base);
    expect(h).toMatch(/^create-order:src:[0-9a-f]{16}$/);
    expect(rustAssetHash('create-order', 'src', { ...base, features: ['b', 'a'], environment: { B: '2', A: '1' } })).toBe(h);
  });

  test.each([
    ['architecture', { architecture: 'x86_64' }],
    ['profile', { profile: 'dev' }],
    ['features', { features: ['a'] }],
    ['flags', { cargoLambdaFlags: ['--locked', '--offline'] }],
    ['environment', { environment: { A: '1', B: '3' } }],
  ])('a different %s gives a different hash', (_name, change) => {
    expect(rustAssetHash('create-order', 'src', { ...base, ...change })).not.toBe(rustAssetHash('create-order', 'src', base));
  });
});
