import { AssetManifest, AssetPublishing, type IAws, type IS3Client } from '@aws-cdk/cdk-assets-lib';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * What `cdk deploy` uploads for each Rust function, checked before it is
 * uploaded: the asset packaged by cdk-assets-lib (the library the CDK CLI
 * bundles; its zipDirectory stores each file's on-disk mode) must hold a
 * `bootstrap` with unix mode 0755, or Lambda answers every invocation with
 * Runtime.InvalidEntrypoint.
 */

/** The Rust functions' runtime; CDK's own Node.js providers carry no bootstrap. */
export const RUST_RUNTIME = 'provided.al2023';
export const EXECUTABLE_MODE = 0o755;

export interface ZipEntry {
  readonly name: string;
  /** The unix permission bits of the external attributes (e.g. 0o755); undefined when not made on unix. */
  readonly mode?: number;
}

/** The entries of a zip archive, from its central directory. */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const eocdSignature = 0x06054b50;
  let eocd = -1;
  // The end-of-central-directory record is the last 22 bytes, before a comment of up to 64 KiB.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === eocdSignature) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory entry at offset ${at}`);
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const external = zip.readUInt32LE(at + 38);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    // Host 3 is unix: the high 16 bits of the external attributes are st_mode.
    entries.push(madeBy === 3 ? { name, mode: (external >>> 16) & 0o7777 } : { name });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** One Rust function of a stack and the zip the CLI would upload for it. */
export interface PackagedFunction {
  /** `Orders-dev/Service CreateOrderFunction1234 (POST /orders)` */
  readonly label: string;
  readonly assetId: string;
  readonly zip: Buffer;
}

interface StackArtifact {
  readonly displayName: string;
  readonly directory: string;
  readonly templateFile: string;
  readonly assetManifestFile?: string;
}

/** Every CloudFormation stack of an assembly and of its nested (stage) assemblies, with its asset manifest. */
export function stackArtifacts(assemblyDir: string): StackArtifact[] {
  const manifestPath = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`${assemblyDir} is not a cloud assembly (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { artifacts?: Record<string, any> };
  const artifacts = manifest.artifacts ?? {};
  const out: StackArtifact[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type === 'aws:cloudformation:stack') {
      const assetManifest = (artifact.dependencies ?? [])
        .map((d: string) => artifacts[d])
        .find((a: any) => a?.type === 'cdk:asset-manifest');
      out.push({
        displayName: artifact.displayName ?? id,
        directory: assemblyDir,
        templateFile: join(assemblyDir, artifact.properties.templateFile),
        ...(assetManifest ? { assetManifestFile: join(assemblyDir, assetManifest.properties.file) } : {}),
      });
    } else if (artifact.type === 'cdk:cloud-assembly') {
      out.push(...stackArtifacts(join(assemblyDir, artifact.properties.directoryName)));
    }
  }
  return out;
}

/** The asset ids (hashes) of a template's Rust functions, by label. */
function rustFunctionAssets(stack: StackArtifact): Map<string, string> {
  const template = JSON.parse(readFileSync(stack.templateFile, 'utf8')) as { Resources?: Record<string, any> };
  const out = new Map<string, string>();
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::Lambda::Function' || r.Properties?.Runtime !== RUST_RUNTIME) continue;
    const key = r.Properties?.Code?.S3Key;
    const label = `${stack.displayName} ${id}${r.Properties?.Description ? ` (${r.Properties.Description})` : ''}`;
    out.set(label, typeof key === 'string' ? key.replace(/\.zip$/, '') : '');
  }
  return out;
}

/**
 * Stands in for AWS behind cdk-assets-lib: the bucket is ours and empty, and
 * what the library uploads is kept, so the publishing code runs as in
 * `cdk deploy` without an account.
 */
class CapturingAws implements IAws {
  public readonly uploads = new Map<string, Buffer>();

  public async discoverPartition(): Promise<string> {
    return 'aws';
  }
  public async discoverDefaultRegion(): Promise<string> {
    return 'us-east-1';
  }
  public async discoverCurrentAccount() {
    return { accountId: '123456789012', partition: 'aws' };
  }
  public async discoverTargetAccount() {
    return { accountId: '123456789012', partition: 'aws' };
  }
  public async s3Client(): Promise<IS3Client> {
    const uploads = this.uploads;
    return {
      getBucketEncryption: async () => ({ $metadata: {} }),
      getBucketLocation: async () => ({ $metadata: {} }),
      listObjectsV2: async () => ({ $metadata: {}, Contents: [] }),
      upload: async (input) => {
        const chunks: Buffer[] = [];
        for await (const chunk of input.Body as Readable) chunks.push(Buffer.from(chunk as Buffer));
        uploads.set(String(input.Key), Buffer.concat(chunks));
        return { $metadata: {} };
      },
    };
  }
  public async ecrClient(): Promise<never> {
    throw new Error('no container image assets expected');
  }
  public async secretsManagerClient(): Promise<never> {
    throw new Error('no secrets expected');
  }
}

/**
 * Packages every Rust function's asset of an assembly as `cdk deploy` does
 * (cdk-assets-lib, reading the assembly's asset manifests) and returns the
 * zips it would upload. Writes the packaged zips to `<assembly>/.cache`, as
 * the CLI does (and the CLI then uploads those).
 */
export async function packageRustFunctions(assemblyDir: string): Promise<{ packaged: PackagedFunction[]; problems: string[] }> {
  const packaged: PackagedFunction[] = [];
  const problems: string[] = [];
  for (const stack of stackArtifacts(assemblyDir)) {
    const functions = rustFunctionAssets(stack);
    if (functions.size === 0) continue;
    if (!stack.assetManifestFile) {
      problems.push(`${stack.displayName}: Rust functions but no asset manifest`);
      continue;
    }
    const manifest = AssetManifest.fromFile(stack.assetManifestFile);
    for (const [label, assetId] of functions) {
      const entry = manifest.files.find((f) => f.id.assetId === assetId);
      if (!entry) {
        problems.push(`${label}: no file asset ${assetId} in ${stack.assetManifestFile}`);
        continue;
      }
      // A bundled asset is staged inside the assembly; a template-only synth
      // (bundling skipped) points at the source tree, which is not worth zipping.
      const source = entry.source.path ?? '';
      const staged = relative(resolve(assemblyDir), resolve(manifest.directory, source));
      if (staged.startsWith('..') || isAbsolute(staged)) {
        problems.push(`${label}: asset ${assetId} was not bundled (source ${source} is outside the assembly)`);
        continue;
      }
      const aws = new CapturingAws();
      const publishing = new AssetPublishing(manifest, { aws, throwOnError: false, quiet: true });
      await publishing.publishEntry(entry, { force: true });
      const failure = publishing.failures.find((f) => f.asset === entry);
      const zip = aws.uploads.values().next().value;
      if (failure || !zip) {
        problems.push(`${label}: packaging failed: ${failure?.error.message ?? 'nothing uploaded'}`);
        continue;
      }
      packaged.push({ label, assetId, zip });
    }
  }
  return { packaged, problems };
}

/** What is wrong with one packaged function (empty: its `bootstrap` is there and executable). */
export function bootstrapProblems(fn: PackagedFunction): string[] {
  const bootstrap = zipEntries(fn.zip).find((e) => e.name === 'bootstrap');
  if (!bootstrap) return [`${fn.label}: the zip has no bootstrap at its root`];
  if (bootstrap.mode === undefined) return [`${fn.label}: bootstrap has no unix mode in the zip`];
  if (bootstrap.mode !== EXECUTABLE_MODE) {
    return [`${fn.label}: bootstrap has mode 0${bootstrap.mode.toString(8)}, not 0${EXECUTABLE_MODE.toString(8)} (Lambda: Runtime.InvalidEntrypoint)`];
  }
  return [];
}

/** Packages and checks every Rust function of an assembly; `functions` counts the packaged ones. */
export async function checkPackagedBootstraps(assemblyDir: string): Promise<{ functions: PackagedFunction[]; problems: string[] }> {
  const { packaged, problems } = await packageRustFunctions(assemblyDir);
  if (packaged.length === 0 && problems.length === 0) problems.push(`${assemblyDir}: no Rust function (${RUST_RUNTIME}) in any stack`);
  return { functions: packaged, problems: [...problems, ...packaged.flatMap(bootstrapProblems)] };
}
