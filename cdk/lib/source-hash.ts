import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Directories that never hold build inputs (and can be huge). */
const SKIP_DIRS = new Set(['.git', 'target', 'node_modules', 'cdk.out', '.venv', '.local', '.orders-local']);

/** Build-configuration files that change what cargo produces, wherever they are. */
const BUILD_FILES = new Set(['Cargo.toml', 'Cargo.lock', 'build.rs', 'rust-toolchain', 'rust-toolchain.toml']);

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('cdk.out')) walk(join(dir, entry.name), out);
    } else if (entry.isFile()) {
      out.push(join(dir, entry.name));
    }
  }
}

/** Forward-slash path relative to the repository root (stable across platforms). */
function rel(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/**
 * The files whose contents decide what the Rust functions compile to:
 * every Cargo.toml / Cargo.lock / build.rs / toolchain file, `.cargo/config*`,
 * every file of a crate under `lambdas/` or `crates/` except its `tests/`,
 * `benches/` and `examples/` (sources, and what they embed with include_str!,
 * such as the notification templates), and everything under `contracts/`
 * (the JSON Schemas, also embedded). Sorted.
 */
export function rustSourceFiles(repoRoot: string): string[] {
  const all: string[] = [];
  walk(repoRoot, all);
  return all
    .map((f) => rel(repoRoot, f))
    .filter((p) => {
      const base = p.slice(p.lastIndexOf('/') + 1);
      return (
        BUILD_FILES.has(base) ||
        /^(.*\/)?\.cargo\/config(\.toml)?$/.test(p) ||
        (/^(lambdas|crates)\/[^/]+\//.test(p) && !/^(lambdas|crates)\/[^/]+\/(tests|benches|examples)\//.test(p)) ||
        p.startsWith('contracts/')
      );
    })
    .sort();
}

/**
 * sha256 over (path, contents) of every file from `rustSourceFiles`, so the
 * asset hash changes exactly when a function could compile differently.
 */
export function computeRustSourceHash(repoRoot: string): string {
  const hash = createHash('sha256');
  for (const p of rustSourceFiles(repoRoot)) {
    const content = readFileSync(join(repoRoot, p));
    hash.update(`${p}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

const cache = new Map<string, string>();

/** `computeRustSourceHash`, computed once per process (i.e. once per synth) per root. */
export function rustSourceHash(repoRoot: string): string {
  let h = cache.get(repoRoot);
  if (h === undefined) {
    h = computeRustSourceHash(repoRoot);
    cache.set(repoRoot, h);
  }
  return h;
}

/** What, besides the sources, decides the binary a function's build produces. */
export interface RustBuildSettings {
  /** `arm64` or `x86_64` (cargo lambda `--arm64` / `--x86-64`). */
  readonly architecture: string;
  /** The cargo profile (`--release` for `release`, else `--profile <name>`). */
  readonly profile: string;
  /** Cargo features of the function crate (`--features`). */
  readonly features: readonly string[];
  /** Further `cargo lambda build` flags, in order. */
  readonly cargoLambdaFlags: readonly string[];
  /** Build environment (e.g. RUSTFLAGS). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The custom asset hash of one function: its binary, the source hash and a
 * sha256 over its build settings in a canonical form (features and
 * environment sorted; flags keep their order, which cargo sees). Equal inputs
 * give the same hash on every synth; any other setting a different one.
 */
export function rustAssetHash(binaryName: string, sourceHash: string, build: RustBuildSettings): string {
  const canonical = JSON.stringify({
    architecture: build.architecture,
    profile: build.profile,
    features: [...build.features].sort(),
    cargoLambdaFlags: [...build.cargoLambdaFlags],
    environment: Object.entries(build.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  });
  const settings = createHash('sha256').update(canonical).digest('hex').slice(0, 16);
  return `${binaryName}:${sourceHash}:${settings}`;
}
