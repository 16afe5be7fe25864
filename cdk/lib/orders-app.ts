import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { isStageName, STAGE_NAMES, stageConfig, type StageName } from './config';
import { OrdersStage, stageId } from './orders-stage';

/** `-c stage=dev` (or `-c stage=dev,prod`) limits the app to those stages. */
export const STAGE_CONTEXT = 'stage';

/** The stages selected by the `stage` context; all of them when it is absent. */
export function selectedStages(app: App): StageName[] {
  const raw = app.node.tryGetContext(STAGE_CONTEXT) as unknown;
  if (raw === undefined || raw === null || raw === '' || raw === 'all') return [...STAGE_NAMES];
  const names = (Array.isArray(raw) ? raw.map(String) : String(raw).split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const n of names) {
    if (!isStageName(n)) throw new Error(`Unknown stage "${n}" in -c ${STAGE_CONTEXT}=...; expected one of ${STAGE_NAMES.join(', ')}`);
  }
  return STAGE_NAMES.filter((s) => names.includes(s));
}

export interface BuildOptions {
  /** Source of CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Register cdk-nag AwsSolutions as a synth-time validation plugin (default true). */
  readonly nag?: boolean;
}

/** Adds the selected Orders stages (and cdk-nag) to an app. */
export function buildOrdersApp(app: App, options: BuildOptions = {}): Map<StageName, OrdersStage> {
  const stages = new Map<StageName, OrdersStage>();
  for (const name of selectedStages(app)) {
    const config = stageConfig(name, options.env ?? process.env);
    stages.set(name, new OrdersStage(app, stageId(config), { config }));
  }
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  }
  return stages;
}
