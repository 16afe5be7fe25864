import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StageConfig, stageConfig, type StageName } from '../lib/config';
import { QUOTED_CONTEXT_VARIABLES } from '../lib/gateway-contract';
import { buildOrdersApp } from '../lib/orders-app';
import type { OrdersStage } from '../lib/orders-stage';
import { SOURCE_HASH_CONTEXT } from '../lib/rust-lambda';

const CDK_JSON = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * The operator's stage settings (docs/deploy.md, "Stage settings") the tests
 * synthesize with: staging and prod as a deploy would have them. Reserved
 * example domains; a test of the offline fallback passes none.
 */
export const TEST_STAGE_SETTINGS: Readonly<Record<string, string>> = {
  'staging:emailSender': 'orders@staging.orders.example.com',
  'staging:opsEmail': 'ops+staging@orders.example.com',
  'staging:corsOrigins': 'https://staging.orders.example.com',
  'prod:emailSender': 'orders@orders.example.com',
  'prod:opsEmail': 'ops@orders.example.com',
  'prod:corsOrigins': 'https://orders.example.com',
};

/** A stage's config as the test app builds it (offline, with TEST_STAGE_SETTINGS). */
export function testStageConfig(stage: StageName, env: Readonly<Record<string, string | undefined>> = {}): StageConfig {
  return stageConfig(stage, env, (k) => TEST_STAGE_SETTINGS[k]);
}

export interface TestApp {
  readonly app: App;
  readonly stages: Map<StageName, OrdersStage>;
  template(stage: StageName): Template;
}

/**
 * The real app (same feature flags as cdk.json) with Rust bundling skipped:
 * `aws:cdk:bundling-stacks` must be set in the App constructor, `-c` cannot.
 * The source hash is pinned so snapshots do not follow every Rust edit.
 */
export function buildTestApp(
  extraContext: Record<string, unknown> = {},
  nag = true,
  env: Readonly<Record<string, string | undefined>> = {},
): TestApp {
  const app = new App({
    context: {
      ...CDK_JSON.context,
      'aws:cdk:bundling-stacks': [],
      [SOURCE_HASH_CONTEXT]: 'test-source-hash',
      ...TEST_STAGE_SETTINGS,
      ...extraContext,
    },
  });
  // By default an empty environment: no account, fallback region (as an offline synth).
  const stages = buildOrdersApp(app, { env, nag });
  const templates = new Map<StageName, Template>();
  return {
    app,
    stages,
    template(stage) {
      let t = templates.get(stage);
      if (!t) {
        const s = stages.get(stage);
        if (!s) throw new Error(`stage ${stage} not in app`);
        t = Template.fromStack(s.service);
        templates.set(stage, t);
      }
      return t;
    },
  };
}

export type Resources = Record<string, { Type: string; Properties?: Record<string, any>; [k: string]: any }>;

export function resources(t: Template, type?: string): Resources {
  const all = t.toJSON().Resources as Resources;
  if (!type) return all;
  return Object.fromEntries(Object.entries(all).filter(([, r]) => r.Type === type));
}

export function onlyOne<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0] as T;
}

/** Logical id of the function whose description is given (e.g. 'POST /orders'). */
export function functionByDescription(t: Template, description: string): [string, any] {
  return onlyOne(
    Object.entries(resources(t, 'AWS::Lambda::Function')).filter(([, r]) => r.Properties?.Description === description),
    `function "${description}"`,
  );
}

/** All IAM statements attached (inline or via AWS::IAM::Policy) to the role of a function. */
export function statementsOfFunction(t: Template, fnLogicalId: string): any[] {
  const fn = resources(t)[fnLogicalId];
  const roleId = fn?.Properties?.Role?.['Fn::GetAtt']?.[0] as string;
  if (!roleId) throw new Error(`function ${fnLogicalId} has no role reference`);
  const role = resources(t)[roleId];
  const inline = (role?.Properties?.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
  const attached = Object.values(resources(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties?.PolicyDocument.Statement);
  return [...inline, ...attached];
}

export function asArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The trust policy of a service role confined to this account (`aws:SourceAccount`), and no managed policy. */
export function expectServiceRoleOfThisAccount(role: Resources[string], service: string): void {
  expect(role.Properties?.AssumeRolePolicyDocument.Statement).toEqual([
    {
      Effect: 'Allow',
      Principal: { Service: service },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    },
  ]);
  expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
}

/**
 * A JSON mapping template (gateway response, access-log format) parsed with
 * each quoted variable (`$context.error.messageString`, which stands unquoted)
 * read as its own name: for assertions on the template's structure.
 */
export function parseJsonTemplate(template: string): any {
  let s = template;
  for (const v of QUOTED_CONTEXT_VARIABLES) s = s.split(v).join(JSON.stringify(v));
  return JSON.parse(s);
}

/** A metric an alarm reads, whether the alarm names it directly or through `Metrics` (metric math). */
export interface AlarmMetric {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: any[];
  readonly Stat: string;
  readonly Period: number;
}

export function alarmMetrics(alarm: Record<string, any>): AlarmMetric[] {
  if (alarm.MetricName !== undefined) {
    return [{ Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions ?? [], Stat: alarm.Statistic ?? alarm.ExtendedStatistic, Period: alarm.Period }];
  }
  return (alarm.Metrics ?? [])
    .filter((m: any) => m.MetricStat !== undefined)
    .map((m: any) => ({ ...m.MetricStat.Metric, Dimensions: m.MetricStat.Metric.Dimensions ?? [], Stat: m.MetricStat.Stat, Period: m.MetricStat.Period }));
}

/** The properties of every alarm of a template. */
export function alarmsOf(t: Template): Array<Record<string, any>> {
  return Object.values(resources(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties ?? {});
}

/** A resource's properties without `Tags` (every resource carries service, stage and version: tags.test.ts). */
export function withoutTags(properties: Record<string, any> | undefined): Record<string, any> | undefined {
  if (properties === undefined) return undefined;
  const { Tags: _tags, ...rest } = properties;
  return rest;
}
