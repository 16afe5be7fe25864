import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, normalize, relative, sep } from 'node:path';

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

// ---------------------------------------------------------------------------
// Per function: exactly what goes into its binary.
// ---------------------------------------------------------------------------

/** `name = { path = "..." }` entries of the root manifest's [workspace.dependencies]. */
function workspacePaths(repoRoot: string): Map<string, string> {
  const paths = new Map<string, string>();
  let inSection = false;
  for (const line of readFileSync(join(repoRoot, 'Cargo.toml'), 'utf8').split('\n')) {
    const section = /^\s*\[([^\]]+)\]/.exec(line);
    if (section) inSection = section[1]!.trim() === 'workspace.dependencies';
    const dep = inSection ? /^\s*([A-Za-z0-9_-]+)\s*=\s*\{[^}]*\bpath\s*=\s*"([^"]+)"/.exec(line) : null;
    if (dep) paths.set(dep[1]!, normalize(dep[2]!).split(sep).join('/'));
  }
  return paths;
}

/**
 * The workspace crates a crate's build depends on: its `[dependencies]`,
 * `[build-dependencies]` and `[target.*.dependencies]` (optional ones too:
 * a superset is safe), never `[dev-dependencies]`; `workspace = true` or `path`.
 */
function pathDependencies(repoRoot: string, crateDir: string, workspace: Map<string, string>): string[] {
  const out: string[] = [];
  let inDeps = false;
  for (const line of readFileSync(join(repoRoot, crateDir, 'Cargo.toml'), 'utf8').split('\n')) {
    const section = /^\s*\[([^\]]+)\]/.exec(line);
    if (section) {
      const name = section[1]!.trim();
      inDeps = name === 'dependencies' || name === 'build-dependencies' || /^target\..+\.(build-)?dependencies$/.test(name);
      continue;
    }
    if (!inDeps) continue;
    const dep = /^\s*([A-Za-z0-9_-]+)\s*(\.workspace\s*=\s*true|=\s*\{([^}]*)\})/.exec(line);
    if (!dep) continue;
    const path = /\bpath\s*=\s*"([^"]+)"/.exec(dep[3] ?? '');
    if (path) out.push(normalize(join(crateDir, path[1]!)).split(sep).join('/'));
    else if (dep[2]!.startsWith('.workspace') || /\bworkspace\s*=\s*true/.test(dep[3] ?? '')) {
      const p = workspace.get(dep[1]!);
      if (p !== undefined) out.push(p);
    }
  }
  return out;
}

/** `lambdas/<binary>` and every workspace crate it builds with, sorted. */
export function functionCrates(repoRoot: string, binaryName: string): string[] {
  const workspace = workspacePaths(repoRoot);
  const seen = new Set<string>();
  const todo = [`lambdas/${binaryName}`];
  while (todo.length > 0) {
    const dir = todo.pop()!;
    if (seen.has(dir)) continue;
    if (!existsSync(join(repoRoot, dir, 'Cargo.toml'))) throw new Error(`${dir}/Cargo.toml not found (a dependency of ${binaryName})`);
    seen.add(dir);
    todo.push(...pathDependencies(repoRoot, dir, workspace));
  }
  return [...seen].sort();
}

/** The pins of scripts/requirements-tools.txt that build the functions (cargo-lambda, and the zig it links with). */
export const BUILD_TOOL_PINS = ['cargo-lambda', 'ziglang'] as const;

/**
 * What builds the binaries besides the sources: the build tools' pins (not
 * the file's other lines: a moto bump changes no binary), the
 * cargo-lambda-cdk version, and the Rust toolchain (`rustc -vV`: no
 * rust-toolchain file pins it, so the hash follows the one that builds).
 */
export function buildToolFingerprint(repoRoot: string, rustc: () => string = rustcVersion): string {
  const pinsFile = join(repoRoot, 'scripts', 'requirements-tools.txt');
  const pins = existsSync(pinsFile)
    ? readFileSync(pinsFile, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => BUILD_TOOL_PINS.some((t) => l.startsWith(`${t}==`)))
        .sort()
    : [];
  const wrapper = join(repoRoot, 'node_modules', 'cargo-lambda-cdk', 'package.json');
  const wrapperVersion = existsSync(wrapper) ? (JSON.parse(readFileSync(wrapper, 'utf8')) as { version: string }).version : 'none';
  return JSON.stringify({ pins, cargoLambdaCdk: wrapperVersion, rustc: rustc() });
}

function rustcVersion(): string {
  const r = spawnSync('rustc', ['-vV'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'rustc: unavailable';
}

/**
 * The files one function's binary is built from: the workspace build files
 * (Cargo.toml, Cargo.lock, `.cargo/config*`, toolchain files), the files of
 * its crate and of every workspace crate it depends on (not their tests,
 * benches or examples), and `contracts/` (embedded with include_str!). A
 * bench or local-host edit changes no function's files: the other crates'
 * manifests, under `crates/` or the measurement's `bench/`, are left out too.
 * Sorted.
 */
export function functionSourceFiles(repoRoot: string, binaryName: string): string[] {
  const crates = functionCrates(repoRoot, binaryName);
  return rustSourceFiles(repoRoot).filter((p) => {
    const crate = /^((?:lambdas|crates|bench)\/[^/]+)\//.exec(p);
    return crate === null || crates.includes(crate[1]!);
  });
}

/** sha256 over one function's files (as `computeRustSourceHash`) and the build tools. */
export function computeFunctionSourceHash(repoRoot: string, binaryName: string, tools: string = buildToolFingerprint(repoRoot)): string {
  const hash = createHash('sha256');
  hash.update(`tools\0${tools}\0`);
  for (const p of functionSourceFiles(repoRoot, binaryName)) {
    const content = readFileSync(join(repoRoot, p));
    hash.update(`${p}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest('hex');
}

const cache = new Map<string, string>();
let toolsOfThisSynth: string | undefined;

/** `computeFunctionSourceHash`, once per process (i.e. per synth) per function; `rustc` runs once. */
export function rustSourceHash(repoRoot: string, binaryName: string): string {
  const key = `${repoRoot}\0${binaryName}`;
  let h = cache.get(key);
  if (h === undefined) {
    toolsOfThisSynth ??= buildToolFingerprint(repoRoot);
    h = computeFunctionSourceHash(repoRoot, binaryName, toolsOfThisSynth);
    cache.set(key, h);
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
