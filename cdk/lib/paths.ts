import { join, resolve } from 'node:path';

/** The repository root (this file lives in cdk/lib/). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
/** The Cargo workspace manifest every function is built from. */
export const CARGO_MANIFEST = join(REPO_ROOT, 'Cargo.toml');
export const CONTRACTS_DIR = join(REPO_ROOT, 'contracts');
