import { App, LegacyStackSynthesizer, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccountBootstrapStack, ACCOUNT_BOOTSTRAP_STACK_ID } from './account-bootstrap-stack';
import { accountBootstrapConfig, checkOneAccountPerStage, type ContextLookup, isStageName, REQUIRE_PINNED_ACCOUNTS_ENV, STAGE_NAMES, stageConfig, type StageName, stageTarget } from './config';
import { OrdersStage, stageId } from './orders-stage';
import { tagOrdersResources } from './tags';

/** `-c stage=dev` (or `-c stage=dev,prod`) limits the app to those stages. */
export const STAGE_CONTEXT = 'stage';

function allStagesSelected(app: App): boolean {
  const raw = app.node.tryGetContext(STAGE_CONTEXT) as unknown;
  return raw === undefined || raw === null || raw === '' || raw === 'all';
}

/** The stages selected by the `stage` context; all of them when it is absent. */
export function selectedStages(app: App): StageName[] {
  const raw = app.node.tryGetContext(STAGE_CONTEXT) as unknown;
  if (allStagesSelected(app)) return [...STAGE_NAMES];
  const names = (Array.isArray(raw) ? raw.map(String) : String(raw).split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const n of names) {
    if (!isStageName(n)) throw new Error(`Unknown stage "${n}" in -c ${STAGE_CONTEXT}=...; expected one of ${STAGE_NAMES.join(', ')}`);
  }
  return STAGE_NAMES.filter((s) => names.includes(s));
}

export interface BuildOptions {
  /** Source of CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION and the ORDERS_* pins (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Register cdk-nag AwsSolutions as a synth-time validation plugin (default true). */
  readonly nag?: boolean;
}

/** Adds the selected Orders stages (and cdk-nag) to an app. */
export function buildOrdersApp(app: App, options: BuildOptions = {}): Map<StageName, OrdersStage> {
  const env = options.env ?? process.env;
  const context: ContextLookup = (key) => app.node.tryGetContext(key) as unknown;
  const stages = new Map<StageName, OrdersStage>();
  const configs = selectedStages(app).map((name) => stageConfig(name, env, context));
  // Every stage's pin, selected or not: `-c stage=dev` must not hide that dev shares prod's account.
  const pins = new Map(STAGE_NAMES.map((name) => [name, stageTarget(name, { ...env, CDK_DEFAULT_ACCOUNT: undefined, [REQUIRE_PINNED_ACCOUNTS_ENV]: undefined }, context)] as const));
  checkOneAccountPerStage(pins);
  for (const config of configs) stages.set(config.stageName, new OrdersStage(app, stageId(config), { config }));
  // Once per account, before any stage (docs/deploy.md): `cdk deploy Orders-account`.
  // `-c stage=...` limits the app to those stages, without it.
  if (allStagesSelected(app)) addAccountBootstrap(app, env, context);
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return stages;
}

function addAccountBootstrap(app: App, env: Readonly<Record<string, string | undefined>>, context: ContextLookup): AccountBootstrapStack {
  const bootstrap = accountBootstrapConfig(env, context);
  const stack = new AccountBootstrapStack(app, ACCOUNT_BOOTSTRAP_STACK_ID, {
    config: bootstrap,
    env: bootstrap.env,
    description: 'Orders, once per account: GitHub OIDC deploy and diff roles, API Gateway CloudWatch role, X-Ray policy for SNS',
    terminationProtection: true,
    // Deployed by an administrator with their own credentials, before any
    // CDK bootstrap (it has no assets; its template goes inline): it needs
    // none, and the stages' bootstraps are only for the stages.
    synthesizer: new LegacyStackSynthesizer(),
  });
  tagOrdersResources(stack, 'account');
  return stack;
}
