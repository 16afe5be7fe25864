import { type CfnResource, Stack } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { STAGE_NAMES, type StageName } from '../lib/config';
import { INDEX_PREFIXES, KEY_PREFIXES, TABLE_KEYS, TABLE_KEYS_CONTRACT_PATH } from '../lib/orders-table';
import { asArray, buildTestApp, onlyOne, resources } from './helpers';

/**
 * Every role's table access, statement by statement, against
 * contracts/table-keys.json (the file Rust's key builders are tested
 * against): each item grant is conditioned on the prefixes of the items the
 * function's code touches, and nothing else.
 */
const testApp = buildTestApp({}, false);
const stack = (s: StageName) => testApp.stages.get(s)!.service;
const t = (s: StageName) => testApp.template(s);
const logicalId = (c: CfnResource) => Stack.of(c).getLogicalId(c);

/** What each role may do on the table: action -> partition key prefixes (index queries: the index partitions). */
const EXPECTED: Record<string, Record<string, string[]>> = {
  'create-order': { 'dynamodb:PutItem': ['ORDER#', 'IDEMPOTENCY#'], 'dynamodb:GetItem': ['IDEMPOTENCY#'] },
  'get-order': { 'dynamodb:GetItem': ['ORDER#'] },
  'list-orders': { 'dynamodb:Query@index': ['STATUS#', 'ORDERS#'] },
  'cancel-order': { 'dynamodb:UpdateItem': ['ORDER#'] },
  'process-orders': { 'dynamodb:UpdateItem': ['ORDER#'] },
  'notify-customer': { 'dynamodb:GetItem': ['ORDER#'], 'dynamodb:PutItem': ['NOTIFICATION#'], 'dynamodb:UpdateItem': ['NOTIFICATION#'] },
  payments: {
    'dynamodb:ConditionCheckItem': ['ORDER#'],
    'dynamodb:GetItem': ['ORDER#', 'PAYMENT#', 'PAYMENT_ATTEMPT#'],
    'dynamodb:PutItem': ['PAYMENT#', 'PAYMENT_ATTEMPT#'],
    'dynamodb:UpdateItem': ['ORDER#', 'PAYMENT#', 'PAYMENT_ATTEMPT#'],
  },
  inventory: {
    'dynamodb:ConditionCheckItem': ['ORDER#'],
    'dynamodb:GetItem': ['ORDER#', 'RESERVATION#', 'STOCK#'],
    'dynamodb:PutItem': ['RESERVATION#', 'STOCK#'],
    'dynamodb:UpdateItem': ['ORDER#', 'RESERVATION#', 'STOCK#'],
  },
  'settle-order': { 'dynamodb:UpdateItem': ['ORDER#'] },
};

/** Statements of a role's inline and attached policies. */
function statementsOfRole(s: StageName, roleId: string): any[] {
  const role = resources(t(s))[roleId]!;
  const inline = (role.Properties?.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
  const attached = Object.values(resources(t(s), 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement);
  return [...inline, ...attached];
}

/** `table`, `index:<name>` or undefined (not the orders table). */
function tableResource(s: StageName, resource: unknown): string | undefined {
  const tableId = logicalId(stack(s).table.table.node.defaultChild as CfnResource);
  const r = resource as any;
  if (r?.['Fn::GetAtt']?.[0] === tableId && r['Fn::GetAtt'][1] === 'Arn') return 'table';
  const parts = r?.['Fn::Join']?.[1];
  if (Array.isArray(parts) && parts[0]?.['Fn::GetAtt']?.[0] === tableId && typeof parts[1] === 'string') {
    const m = /^\/index\/(\w+)$/.exec(parts[1]);
    if (m) return `index:${m[1]}`;
  }
  return undefined;
}

/** The prefixes of a statement's `dynamodb:LeadingKeys` condition (undefined when there is none). */
function prefixesOf(statement: any): string[] | undefined {
  const like = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
  if (like === undefined) return undefined;
  return asArray<string>(like).map((p) => {
    expect(p).toMatch(/#\*$/);
    return p.slice(0, -1);
  });
}

/** Table statements of a role as action -> prefixes (an index Query as `dynamodb:Query@index`). */
function tableAccess(s: StageName, roleId: string): Record<string, string[]> {
  const access: Record<string, string[]> = {};
  for (const st of statementsOfRole(s, roleId)) {
    const targets = asArray(st.Resource).map((r) => tableResource(s, r));
    const actions = asArray<string>(st.Action).filter((a) => a.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    // Item actions name the table only through a LeadingKeys condition, or not at all.
    expect(st.Effect).toBe('Allow');
    expect(targets.every((x) => x !== undefined && (x === 'table' || x.startsWith('index:')))).toBe(true);
    const prefixes = prefixesOf(st);
    expect([st.Sid, prefixes]).not.toEqual([st.Sid, undefined]);
    // `ForAllValues` alone would pass a request that names no partition key.
    expect(st.Condition.Null).toEqual({ 'dynamodb:LeadingKeys': 'false' });
    expect(Object.keys(st.Condition).sort()).toEqual(['ForAllValues:StringLike', 'Null']);
    const onIndex = targets.every((x) => x!.startsWith('index:'));
    expect(onIndex || targets.every((x) => x === 'table')).toBe(true);
    for (const a of actions) {
      const key = onIndex ? `${a}@index` : a;
      access[key] = [...(access[key] ?? []), ...prefixes!];
    }
  }
  return Object.fromEntries(Object.entries(access).map(([a, p]) => [a, [...new Set(p)].sort()]));
}

/**
 * Whether the role's statements allow `action` on an item of the table (or
 * an index) with partition key `pk`, as IAM evaluates `ForAllValues:StringLike`
 * on the request's single leading key.
 */
function allows(s: StageName, roleId: string, action: string, pk: string, target = 'table'): boolean {
  return statementsOfRole(s, roleId).some((st) => {
    if (st.Effect !== 'Allow' || !asArray<string>(st.Action).includes(action)) return false;
    if (!asArray(st.Resource).some((r) => tableResource(s, r) === target)) return false;
    const prefixes = prefixesOf(st);
    return prefixes === undefined || prefixes.some((p) => pk.startsWith(p));
  });
}

const roleOf = (s: StageName, binary: string): string => {
  const fn = onlyOne(stack(s).rustFunctions.filter((f) => f.binaryName === binary), binary);
  return logicalId(fn.role.node.defaultChild as CfnResource);
};

describe('contracts/table-keys.json is what the CDK app reads', () => {
  test('the prefixes and key attributes of the table and its indexes', () => {
    const contract = JSON.parse(readFileSync(TABLE_KEYS_CONTRACT_PATH, 'utf8'));
    expect(TABLE_KEYS).toEqual(contract);
    expect(KEY_PREFIXES).toEqual({
      order: 'ORDER#',
      idempotency: 'IDEMPOTENCY#',
      notification: 'NOTIFICATION#',
      payment: 'PAYMENT#',
      paymentAttempt: 'PAYMENT_ATTEMPT#',
      stock: 'STOCK#',
      reservation: 'RESERVATION#',
    });
    expect(INDEX_PREFIXES).toEqual({ byStatus: 'STATUS#', byCreatedAt: 'ORDERS#' });
    const table = onlyOne(Object.values(resources(t('dev'), 'AWS::DynamoDB::Table')), 'table').Properties!;
    expect(table.KeySchema).toEqual([
      { AttributeName: contract.table.partitionKey, KeyType: 'HASH' },
      { AttributeName: contract.table.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName)).toEqual(Object.keys(contract.indexes));
    for (const gsi of table.GlobalSecondaryIndexes) {
      const c = contract.indexes[gsi.IndexName];
      expect(gsi.KeySchema).toEqual([
        { AttributeName: c.partitionKey, KeyType: 'HASH' },
        { AttributeName: c.sortKey, KeyType: 'RANGE' },
      ]);
      expect(gsi.Projection).toEqual({ ProjectionType: c.projection });
    }
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: contract.table.ttlAttribute, Enabled: true });
  });
});

describe.each(STAGE_NAMES)('%s: table access by key prefix (dynamodb:LeadingKeys)', (stage) => {
  test.each(Object.keys(EXPECTED))('%s: exactly its actions on exactly its prefixes', (binary) => {
    const sorted = Object.fromEntries(Object.entries(EXPECTED[binary]!).map(([a, p]) => [a, [...p].sort()]));
    expect(tableAccess(stage, roleOf(stage, binary))).toEqual(sorted);
  });

  test('every function is in the table above, and every prefix it names is in the contract', () => {
    expect(stack(stage).rustFunctions.map((f) => f.binaryName).sort()).toEqual(Object.keys(EXPECTED).sort());
    const known = new Set([...Object.values(KEY_PREFIXES), ...Object.values(INDEX_PREFIXES)]);
    for (const binary of Object.keys(EXPECTED)) {
      for (const prefixes of Object.values(tableAccess(stage, roleOf(stage, binary)))) {
        for (const p of prefixes) expect([binary, known.has(p)]).toEqual([binary, true]);
      }
    }
  });

  test('the stock seed (where it exists) writes STOCK# records only', () => {
    const seed = stack(stage).stockSeed;
    if (seed === undefined) return;
    expect(tableAccess(stage, logicalId(seed.role.node.defaultChild as CfnResource))).toEqual({ 'dynamodb:PutItem': ['STOCK#'] });
  });

  test('no other role of the stage has item access to the table without a LeadingKeys condition', () => {
    const item = /^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem|ConditionCheckItem|BatchGetItem|BatchWriteItem|Query|Scan)$/;
    for (const [roleId] of Object.entries(resources(t(stage), 'AWS::IAM::Role'))) {
      for (const st of statementsOfRole(stage, roleId)) {
        const onTable = asArray(st.Resource).some((r) => tableResource(stage, r) !== undefined);
        const itemActions = asArray<string>(st.Action).filter((a) => item.test(a));
        if (onTable && itemActions.length > 0) expect([roleId, st.Sid, prefixesOf(st) !== undefined]).toEqual([roleId, st.Sid, true]);
      }
    }
  });

  test('control: the public functions cannot read or write payment, stock or another function\'s items', () => {
    const create = roleOf(stage, 'create-order');
    const get = roleOf(stage, 'get-order');
    expect(allows(stage, create, 'dynamodb:PutItem', 'ORDER#0f')).toBe(true);
    expect(allows(stage, create, 'dynamodb:PutItem', 'IDEMPOTENCY#k')).toBe(true);
    expect(allows(stage, get, 'dynamodb:GetItem', 'ORDER#0f')).toBe(true);
    for (const pk of ['PAYMENT#0f', 'PAYMENT_ATTEMPT#k', 'STOCK#SKU-1', 'RESERVATION#0f', 'NOTIFICATION#0f#PENDING']) {
      expect([pk, allows(stage, create, 'dynamodb:PutItem', pk)]).toEqual([pk, false]);
      expect([pk, allows(stage, create, 'dynamodb:GetItem', pk)]).toEqual([pk, false]);
      expect([pk, allows(stage, get, 'dynamodb:GetItem', pk)]).toEqual([pk, false]);
    }
    expect(allows(stage, get, 'dynamodb:GetItem', 'IDEMPOTENCY#k')).toBe(false);
    // PAYMENT# does not reach PAYMENT_ATTEMPT#, ORDER# does not reach ORDERS#.
    expect(allows(stage, roleOf(stage, 'settle-order'), 'dynamodb:UpdateItem', 'ORDERS#00')).toBe(false);
    expect(allows(stage, roleOf(stage, 'list-orders'), 'dynamodb:Query', 'STATUS#PENDING#03', 'index:byStatus')).toBe(true);
    expect(allows(stage, roleOf(stage, 'list-orders'), 'dynamodb:Query', 'ORDER#0f', 'index:byStatus')).toBe(false);
    expect(allows(stage, roleOf(stage, 'list-orders'), 'dynamodb:Query', 'ORDERS#00', 'table')).toBe(false);
  });
});
