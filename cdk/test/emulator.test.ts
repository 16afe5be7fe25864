import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { CDK_QUALIFIERS, EMULATOR_CONTEXT, stageConfig, toolkitStackName } from '../lib/config';
import { buildTestApp } from './helpers';

/**
 * The emulator synth (`-c emulator=true`, docs/deploy.md) is the dev stage
 * without exactly what the local AWS emulator cannot create (CodeDeploy
 * applications and deployment groups, alarms defined by metric data
 * queries) and with x86_64 functions. Compared resource by resource with
 * dev's template, anything else that differs is a failure.
 */

type Resource = { Type: string; Properties?: Record<string, any>; DependsOn?: string | string[]; [k: string]: any };
type Resources = Record<string, Resource>;

const RUST_RUNTIME = 'provided.al2023';
const CODEDEPLOY_TYPES = ['AWS::CodeDeploy::Application', 'AWS::CodeDeploy::DeploymentGroup'];

/** What the emulator cannot create (and so the emulator template must not hold). */
function emulatorCannotCreate(r: Resource): boolean {
  return CODEDEPLOY_TYPES.includes(r.Type) || (r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.Metrics !== undefined);
}

/**
 * A function's `currentVersion` is named after a hash of the function's
 * properties (architecture and code included): `<id><32 hex>`. Renamed
 * to `<id>` on both sides, with every reference.
 */
function withoutVersionHashes(resources: Resources): Resources {
  const renames = new Map<string, string>();
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Lambda::Version' && /[0-9a-f]{32}$/.test(id)) renames.set(id, id.slice(0, -32));
  }
  const rename = (v: unknown): unknown => {
    if (typeof v === 'string') return renames.get(v) ?? v;
    if (Array.isArray(v)) return v.map(rename);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)]));
    return v;
  };
  return Object.fromEntries(Object.entries(resources).map(([id, r]) => [renames.get(id) ?? id, rename(r) as Resource]));
}

/** Whether `v` holds a Ref or Fn::GetAtt to one of `ids`. */
function references(v: unknown, ids: ReadonlySet<string>): boolean {
  if (Array.isArray(v)) return v.some((x) => references(x, ids));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && ids.has(o.Ref)) return true;
    const att = o['Fn::GetAtt'];
    if (Array.isArray(att) && typeof att[0] === 'string' && ids.has(att[0])) return true;
    return Object.values(o).some((x) => references(x, ids));
  }
  return false;
}

/** Leaf paths at which two JSON values differ. */
function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects || (Array.isArray(a) && (a as unknown[]).length !== (b as unknown[]).length)) return [path || '(whole)'];
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  return [...keys].flatMap((k) => differingPaths((a as any)[k], (b as any)[k], path ? `${path}.${k}` : k));
}

// A JSON copy (structuredClone's objects come from Node's realm, not jest's: deep equality would fail on them).
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

interface TemplateComparison {
  /** Logical ids of dev's resources the emulator template leaves out, with their type. */
  readonly removed: string[];
  /** Every difference that is not one of the allowed kinds (empty: the emulator template is as it must be). */
  readonly unexpected: string[];
}

/**
 * Dev's and the emulator's resources, compared. Allowed: removing exactly
 * the resources the emulator cannot create; on each Rust function, the
 * architecture arm64 -> x86_64 and therefore the asset (code S3 key) and
 * the name of its current version; dropping what referred to a removed
 * resource (the alias's CodeDeploy update policy, DependsOn entries).
 */
function compareWithDev(devResources: Resources, emulatorResources: Resources): TemplateComparison {
  const dev = withoutVersionHashes(devResources);
  const emu = withoutVersionHashes(emulatorResources);
  const unexpected: string[] = [];
  const removedIds = new Set(Object.keys(dev).filter((id) => !(id in emu)));
  const removed = [...removedIds].map((id) => `${id} (${dev[id]!.Type})`).sort();

  for (const id of removedIds) {
    if (!emulatorCannotCreate(dev[id]!)) unexpected.push(`removed ${id} (${dev[id]!.Type}), which the emulator can create`);
  }
  for (const [id, r] of Object.entries(emu)) {
    if (!(id in dev)) unexpected.push(`added ${id} (${r.Type})`);
    if (emulatorCannotCreate(r)) unexpected.push(`kept ${id} (${r.Type}), which the emulator cannot create`);
  }

  for (const [id, e] of Object.entries(emu)) {
    const d = dev[id];
    if (d === undefined) continue;
    const a = copy(d);
    const b = copy(e);
    if (a.Type === 'AWS::Lambda::Function' && a.Properties?.Runtime === RUST_RUNTIME) {
      if (!isDeepStrictEqual([a.Properties.Architectures, b.Properties?.Architectures], [['arm64'], ['x86_64']])) {
        unexpected.push(`${id}: Architectures ${JSON.stringify(a.Properties.Architectures)} -> ${JSON.stringify(b.Properties?.Architectures)}, not arm64 -> x86_64`);
      }
      const [keyA, keyB] = [a.Properties.Code?.S3Key, b.Properties?.Code?.S3Key];
      if (typeof keyA !== 'string' || typeof keyB !== 'string' || keyA === keyB) {
        unexpected.push(`${id}: the x86_64 build must be its own asset (S3Key ${String(keyA)} -> ${String(keyB)})`);
      }
      delete a.Properties.Architectures;
      delete b.Properties?.Architectures;
      delete a.Properties.Code?.S3Key;
      delete b.Properties?.Code?.S3Key;
    }
    if (a.UpdatePolicy !== undefined && b.UpdatePolicy === undefined && references(a.UpdatePolicy, removedIds)) delete a.UpdatePolicy;
    if (a.DependsOn !== undefined) {
      const kept = asList(a.DependsOn).filter((x) => !removedIds.has(x));
      if (kept.length === 0) delete a.DependsOn;
      else a.DependsOn = kept;
      if (b.DependsOn !== undefined) b.DependsOn = asList(b.DependsOn);
    }
    for (const p of differingPaths(a, b)) unexpected.push(`${id} (${d.Type}): ${p} differs`);
  }
  return { removed, unexpected };
}

const devResources = (): Resources => buildTestApp({ stage: 'dev' }, false).template('dev').toJSON().Resources;
const emulatorResources = (): Resources => buildTestApp({ stage: 'dev', [EMULATOR_CONTEXT]: 'true' }, false).template('dev').toJSON().Resources;

describe('the emulator synth (-c emulator=true)', () => {
  const dev = devResources();
  const emu = emulatorResources();
  const comparison = compareWithDev(dev, emu);

  test('differs from dev only by what the emulator cannot create, the x86_64 architecture and what follows from both', () => {
    expect(comparison.unexpected).toEqual([]);
  });

  test('removes the CodeDeploy application, the nine deployment groups and every metric-math alarm; keeps the live aliases, the rollback alarms and the dashboard', () => {
    const count = (type: string, rs: Resources, p: (r: Resource) => boolean = () => true) =>
      Object.values(rs).filter((r) => r.Type === type && p(r)).length;
    const math = (r: Resource) => r.Properties?.Metrics !== undefined;
    expect(count('AWS::CodeDeploy::Application', dev)).toBe(1);
    expect(count('AWS::CodeDeploy::DeploymentGroup', dev)).toBe(9);
    expect(count('AWS::CloudWatch::Alarm', dev, math)).toBeGreaterThan(0);
    const removedTypes = comparison.removed.map((r) => r.replace(/^.* \((.*)\)$/, '$1'));
    expect(removedTypes.filter((t) => t === 'AWS::CodeDeploy::DeploymentGroup')).toHaveLength(9);
    expect(removedTypes.filter((t) => t === 'AWS::CloudWatch::Alarm')).toHaveLength(count('AWS::CloudWatch::Alarm', dev, math));
    // The table's system errors (explicit metric math) among them.
    expect(comparison.removed.some((r) => /SystemErrors.*AWS::CloudWatch::Alarm/.test(r))).toBe(true);

    for (const type of ['AWS::CodeDeploy::Application', 'AWS::CodeDeploy::DeploymentGroup']) expect(count(type, emu)).toBe(0);
    expect(count('AWS::CloudWatch::Alarm', emu, math)).toBe(0);
    // The 18 rollback alarms (errors and p99 duration of each alias) and the pipes' alarms stay.
    expect(count('AWS::CloudWatch::Alarm', emu)).toBe(count('AWS::CloudWatch::Alarm', dev, (r) => !math(r)));
    expect(count('AWS::CloudWatch::Dashboard', emu)).toBe(1);
    // Every function has its live alias on its current version, and no CodeDeploy update policy.
    const aliases = Object.values(emu).filter((r) => r.Type === 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(9);
    for (const a of aliases) {
      expect(a.Properties?.Name).toBe('live');
      expect(a.Properties?.FunctionVersion?.['Fn::GetAtt']?.[1]).toBe('Version');
      expect(a.UpdatePolicy).toBeUndefined();
    }
  });

  test('every function is x86_64; dev stays arm64', () => {
    const archs = (rs: Resources) =>
      Object.values(rs)
        .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Runtime === RUST_RUNTIME)
        .map((r) => r.Properties?.Architectures);
    expect(archs(emu)).toHaveLength(9);
    expect(new Set(archs(emu).map((a) => JSON.stringify(a)))).toEqual(new Set(['["x86_64"]']));
    expect(new Set(archs(dev).map((a) => JSON.stringify(a)))).toEqual(new Set(['["arm64"]']));
  });

  test('every Ref and Fn::GetAtt of the emulator template names one of its resources or parameters', () => {
    const t = buildTestApp({ stage: 'dev', [EMULATOR_CONTEXT]: true }, false).template('dev').toJSON();
    const known = new Set([...Object.keys(t.Resources), ...Object.keys(t.Parameters ?? {})]);
    const dangling: string[] = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (v === null || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if (typeof o.Ref === 'string' && !o.Ref.startsWith('AWS::') && !known.has(o.Ref)) dangling.push(o.Ref);
      const att = o['Fn::GetAtt'];
      if (Array.isArray(att) && typeof att[0] === 'string' && !known.has(att[0])) dangling.push(att[0]);
      Object.values(o).forEach(visit);
    };
    visit(t.Resources);
    visit(t.Outputs);
    for (const r of Object.values(t.Resources as Resources)) for (const d of asList(r.DependsOn)) if (!known.has(d)) dangling.push(d);
    expect(dangling).toEqual([]);
  });

  test('the comparison catches what it must: an extra removed resource, a changed property, a kept metric-math alarm, an arm64 function', () => {
    const without = (rs: Resources, p: (id: string, r: Resource) => boolean) => Object.fromEntries(Object.entries(rs).filter(([id, r]) => !p(id, r)));
    const queueId = Object.keys(emu).find((id) => emu[id]!.Type === 'AWS::SQS::Queue')!;
    expect(compareWithDev(dev, without(emu, (id) => id === queueId)).unexpected).toEqual([
      expect.stringMatching(new RegExp(`^removed ${queueId} \\(AWS::SQS::Queue\\), which the emulator can create$`)),
    ]);
    // A plain (non-math) alarm is not the emulator's to lose either.
    const plainAlarm = Object.keys(emu).find((id) => emu[id]!.Type === 'AWS::CloudWatch::Alarm')!;
    expect(compareWithDev(dev, without(emu, (id) => id === plainAlarm)).unexpected).toHaveLength(1);

    const tableId = Object.keys(emu).find((id) => emu[id]!.Type === 'AWS::DynamoDB::Table')!;
    const changed = copy(emu);
    changed[tableId]!.Properties!.BillingMode = 'PROVISIONED';
    expect(compareWithDev(dev, changed).unexpected).toEqual([`${tableId} (AWS::DynamoDB::Table): Properties.BillingMode differs`]);

    const mathAlarm = Object.keys(dev).find((id) => dev[id]!.Type === 'AWS::CloudWatch::Alarm' && dev[id]!.Properties?.Metrics)!;
    expect(compareWithDev(dev, { ...emu, [mathAlarm]: dev[mathAlarm]! }).unexpected).toEqual([
      expect.stringMatching(/^kept .*which the emulator cannot create$/),
    ]);

    const fnId = Object.keys(emu).find((id) => emu[id]!.Type === 'AWS::Lambda::Function' && emu[id]!.Properties?.Runtime === RUST_RUNTIME)!;
    const arm = copy(emu);
    arm[fnId]!.Properties!.Architectures = ['arm64'];
    expect(compareWithDev(dev, arm).unexpected).toEqual([expect.stringMatching(new RegExp(`^${fnId}: Architectures \\["arm64"\\] -> \\["arm64"\\]`))]);
  });

  test('the setting selects dev only, and takes true or false', () => {
    const ctx = (v: unknown) => (k: string) => (k === EMULATOR_CONTEXT ? v : undefined);
    expect(stageConfig('dev', {}, ctx('true')).emulator).toBe(true);
    expect(stageConfig('dev', {}, ctx(false)).emulator).toBe(false);
    expect(stageConfig('dev', {}).emulator).toBe(false);
    expect(() => stageConfig('prod', {}, ctx('true'))).toThrow(/dev stage only/);
    expect(() => stageConfig('dev', {}, ctx('yes'))).toThrow(/expected true or false/);
    expect(() => buildTestApp({ [EMULATOR_CONTEXT]: 'true' }, false)).toThrow(/dev stage only/);
  });
});

test("scripts/emulator-e2e.sh bootstraps the emulator with dev's own qualifier and toolkit stack", () => {
  const script = readFileSync(join(__dirname, '..', '..', 'scripts', 'emulator-e2e.sh'), 'utf8');
  const bootstrap = script.match(/bootstrap "aws:\/\/\$ACCOUNT\/\$REGION"[^\n]*\\\n([^\n]*)/);
  expect(bootstrap).not.toBeNull();
  expect(bootstrap![1]!.trim()).toBe(`--qualifier ${CDK_QUALIFIERS.dev} --toolkit-stack-name ${toolkitStackName('dev')}`);
});
