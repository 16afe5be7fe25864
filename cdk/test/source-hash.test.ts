import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  buildToolFingerprint,
  computeFunctionSourceHash,
  computeRustSourceHash,
  functionCrates,
  functionSourceFiles,
  rustAssetHash,
  rustSourceFiles,
} from '../lib/source-hash';

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

describe('per function: exactly what goes into its binary', () => {
  let root: string;
  const RUSTC = 'rustc 1.95.0';
  const hashOf = (binary: string, rustc = RUSTC) => computeFunctionSourceHash(root, binary, buildToolFingerprint(root, () => rustc));
  beforeEach(() => {
    root = tree({
      'Cargo.toml': [
        '[workspace]',
        'members = ["crates/*", "lambdas/*"]',
        '[workspace.dependencies]',
        'orders-core = { path = "crates/orders-core" }',
        'orders-dynamodb = { path = "crates/orders-dynamodb" }',
        'orders-messaging = { path = "crates/orders-messaging", default-features = false }',
        'orders-sqlite = { path = "crates/orders-sqlite" }',
        'serde = "1"',
      ].join('\n'),
      'Cargo.lock': 'lock',
      'crates/orders-core/Cargo.toml': '[package]\nname = "orders-core"\n[dependencies]\nserde.workspace = true\n',
      'crates/orders-core/src/lib.rs': 'core',
      'crates/orders-dynamodb/Cargo.toml': '[package]\n[dependencies]\norders-core.workspace = true\n[dev-dependencies]\norders-sqlite.workspace = true\n',
      'crates/orders-dynamodb/src/lib.rs': 'ddb',
      'crates/orders-messaging/Cargo.toml': '[package]\n[dependencies]\norders-core = { workspace = true }\n',
      'crates/orders-messaging/src/lib.rs': 'msg',
      'crates/orders-sqlite/Cargo.toml': '[package]\n[dependencies]\norders-core.workspace = true\n',
      'crates/orders-sqlite/src/lib.rs': 'sqlite',
      'bench/orders-bench/Cargo.toml': '[package]\n[dependencies]\norders-core = { path = "../../crates/orders-core" }\n',
      'bench/orders-bench/src/main.rs': 'bench',
      'lambdas/get-order/Cargo.toml': '[package]\n[dependencies]\norders-dynamodb.workspace = true\n[dev-dependencies]\norders-sqlite.workspace = true\n',
      'lambdas/get-order/src/main.rs': 'get',
      'lambdas/notify-customer/Cargo.toml':
        '[package]\n[dependencies]\norders-dynamodb = { workspace = true, optional = true }\norders-messaging = { workspace = true, optional = true }\n',
      'lambdas/notify-customer/src/main.rs': 'notify',
      'contracts/gateway.json': '{}',
      'scripts/requirements-tools.txt': 'moto[server]==5.2.5\ncargo-lambda==1.9.2\nziglang==0.17.1\ncfn-lint==1.58.0\n',
    });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('the crates of a function: its dependencies (optional ones too), never dev-dependencies or other binaries', () => {
    expect(functionCrates(root, 'get-order')).toEqual(['crates/orders-core', 'crates/orders-dynamodb', 'lambdas/get-order']);
    expect(functionCrates(root, 'notify-customer')).toEqual([
      'crates/orders-core',
      'crates/orders-dynamodb',
      'crates/orders-messaging',
      'lambdas/notify-customer',
    ]);
    expect(functionSourceFiles(root, 'get-order')).toEqual([
      'Cargo.lock',
      'Cargo.toml',
      'contracts/gateway.json',
      'crates/orders-core/Cargo.toml',
      'crates/orders-core/src/lib.rs',
      'crates/orders-dynamodb/Cargo.toml',
      'crates/orders-dynamodb/src/lib.rs',
      'lambdas/get-order/Cargo.toml',
      'lambdas/get-order/src/main.rs',
    ]);
  });

  test('a bench, local-host or other function edit changes no other function; a shared crate changes both', () => {
    const get = hashOf('get-order');
    const notify = hashOf('notify-customer');
    for (const p of ['bench/orders-bench/src/main.rs', 'bench/orders-bench/Cargo.toml', 'crates/orders-sqlite/src/lib.rs', 'lambdas/notify-customer/src/main.rs', 'crates/orders-messaging/src/lib.rs']) {
      write(root, p, `changed ${p}`);
      expect([p, hashOf('get-order')]).toEqual([p, get]);
    }
    expect(hashOf('notify-customer')).not.toBe(notify);
    write(root, 'crates/orders-core/src/lib.rs', 'core 2');
    expect(hashOf('get-order')).not.toBe(get);
  });

  test('the build tools: cargo-lambda, zig and the Rust toolchain change every function; other tool pins none', () => {
    const get = hashOf('get-order');
    expect(hashOf('get-order', 'rustc 1.96.0')).not.toBe(get);
    const pins = 'scripts/requirements-tools.txt';
    write(root, pins, 'moto[server]==5.3.0\ncargo-lambda==1.9.2\nziglang==0.17.1\ncfn-lint==1.60.0\n');
    expect(hashOf('get-order')).toBe(get);
    write(root, pins, 'moto[server]==5.3.0\ncargo-lambda==1.9.3\nziglang==0.17.1\n');
    const afterCargoLambda = hashOf('get-order');
    expect(afterCargoLambda).not.toBe(get);
    write(root, pins, 'moto[server]==5.3.0\ncargo-lambda==1.9.3\nziglang==0.18.0\n');
    expect(hashOf('get-order')).not.toBe(afterCargoLambda);
  });

  test('every function of the repository resolves', () => {
    const repo = join(__dirname, '..', '..');
    for (const binary of ['create-order', 'get-order', 'list-orders', 'cancel-order', 'process-orders', 'notify-customer', 'payments', 'inventory', 'settle-order']) {
      const crates = functionCrates(repo, binary);
      expect(crates).toContain(`lambdas/${binary}`);
      expect(crates).toContain('crates/orders-core');
      // Never the local host's, the benchmark's or SQLite's crates.
      expect(crates.filter((c) => /orders-(local|bench|load|sqlite|admin|test-support)/.test(c))).toEqual([]);
    }
  });
});
