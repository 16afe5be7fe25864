import { type Stack, TagManager } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT_BOOTSTRAP_STACK_ID } from '../lib/account-bootstrap-stack';
import { STAGE_NAMES } from '../lib/config';
import { ORDERS_VERSION } from '../lib/tags';
import { buildTestApp, resources } from './helpers';

const testApp = buildTestApp({ 'github:repository': 'acme/orders' }, false);

/** `{ key: value }` of a resource's Tags, whatever shape its type uses (list of Key/Value, or a map). */
function tagsOf(tags: unknown): Record<string, unknown> {
  if (Array.isArray(tags)) return Object.fromEntries(tags.map((t: any) => [t.Key, t.Value]));
  return (tags ?? {}) as Record<string, unknown>;
}

/** Every resource of a stack whose construct is taggable (CDK adds Tags to exactly those). */
function taggable(stack: Stack): Array<[string, Record<string, unknown>]> {
  const t = Template.fromStack(stack);
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const child of stack.node.findAll()) {
    if (!TagManager.isTaggable(child)) continue;
    const id = stack.resolve((child as any).logicalId) as string;
    const r = resources(t)[id];
    if (r !== undefined) out.push([`${r.Type} ${id}`, tagsOf(r.Properties?.Tags)]);
  }
  return out;
}

describe('every resource is tagged with service, stage and version', () => {
  test.each(STAGE_NAMES)('%s', (stage) => {
    const all = taggable(testApp.stages.get(stage)!.service);
    expect(all.length).toBeGreaterThan(50);
    for (const [what, tags] of all) {
      expect([what, tags.service, tags.stage, tags.version]).toEqual([what, 'orders', stage, ORDERS_VERSION]);
    }
  });

  test('Orders-account: stage "account"', () => {
    const stack = testApp.app.node.findChild(ACCOUNT_BOOTSTRAP_STACK_ID) as Stack;
    const all = taggable(stack);
    expect(all.length).toBeGreaterThan(3);
    for (const [what, tags] of all) expect([what, tags.service, tags.stage, tags.version]).toEqual([what, 'orders', 'account', ORDERS_VERSION]);
  });

  test('the version is the package version (stable across commits), not a commit', () => {
    expect(ORDERS_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
