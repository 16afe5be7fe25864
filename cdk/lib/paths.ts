import { join, resolve } from 'node:path';

/** The repository root (this file lives in cdk/lib/). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
/** The Cargo workspace manifest every function is built from. */
export const CARGO_MANIFEST = join(REPO_ROOT, 'Cargo.toml');
export const CONTRACTS_DIR = join(REPO_ROOT, 'contracts');
/** One crate per Lambda function, and nothing else: `lambdas/<function>/`. */
export const LAMBDAS_DIR = join(REPO_ROOT, 'lambdas');
