import { type ContextLookup, type DeploymentTarget, type Env, pinned, REQUIRE_PINNED_ACCOUNTS_ENV } from './deployment-target';
import type { StageName } from './stage-names';

// Stage settings: what only the operator knows (addresses, origins). Never in
// code; from CDK context or the environment, checked at synth.

/** The settings of a stage that come from outside the code. */
export type SettingName = 'emailSender' | 'opsEmail' | 'corsOrigins';
export const SETTING_NAMES: readonly SettingName[] = ['emailSender', 'opsEmail', 'corsOrigins'];

/** `ORDERS_PROD_EMAIL_SENDER`, `ORDERS_STAGING_CORS_ORIGINS`, ... */
export function settingVariable(stageName: StageName, setting: SettingName): string {
  return `ORDERS_${stageName.toUpperCase()}_${setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The settings a deploy of the stage cannot do without. */
export const REQUIRED_SETTINGS: Readonly<Record<StageName, readonly SettingName[]>> = {
  // dev: no e-mail (no SES identity to verify), alarms to nobody unless set, the local front end.
  dev: [],
  staging: SETTING_NAMES,
  prod: SETTING_NAMES,
};

/** What an unset setting becomes where the stage does not require it. */
const DEV_CORS_ORIGINS = ['http://localhost:3000'] as const;

/**
 * The origin a stage answers CORS for while its real origins are unset
 * (offline synth only): `.invalid` can never be a browser's origin.
 */
export function unsetCorsOrigin(stageName: StageName): string {
  return `https://orders-${stageName}.invalid`;
}

const EMAIL = /^[^@\s,]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
/** `https://host[:port]`; plain http only for localhost (a developer's front end). */
const ORIGIN = /^(https:\/\/[A-Za-z0-9.-]+|http:\/\/(localhost|127\.0\.0\.1))(:\d{1,5})?$/;

export interface StageSettings {
  readonly emailSender?: string;
  readonly opsEmail?: string;
  readonly corsAllowOrigins: readonly string[];
  /** Required settings left unset (offline synth of an environment-agnostic stage only). */
  readonly unset: readonly SettingName[];
}

/** Whether `-c stage=...` names the stage (as `npm run deploy:<stage>` does). */
function explicitlySelected(stageName: StageName, context: ContextLookup): boolean {
  const raw = context('stage');
  const names = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(',');
  return names.map((n) => n.trim()).includes(stageName);
}

/**
 * A stage's settings: `-c <stage>:<setting>=...` or `ORDERS_<STAGE>_<SETTING>`
 * (`corsOrigins`: a comma-separated list). A stage being deployed must have
 * every required setting, or the synth fails naming the missing ones: a
 * stage pinned to its account, every stage when
 * ORDERS_REQUIRE_PINNED_ACCOUNTS is set (the pipeline), and a stage selected
 * with `-c stage=` while the CLI has credentials (`npm run deploy:<stage>`).
 * Any other synth (tests, template diffs, `cdk deploy Orders-account`) goes
 * on without them: no e-mail sender, no ops subscription, an `.invalid`
 * CORS origin, and the stack carries a warning.
 */
export function stageSettings(stageName: StageName, target: DeploymentTarget, env: Env, context: ContextLookup): StageSettings {
  const read = (setting: SettingName): string | undefined => {
    const key = `${stageName}:${setting}`;
    const variable = settingVariable(stageName, setting);
    const raw = context(key);
    const fromContext = raw === undefined || raw === null || raw === '' ? undefined : Array.isArray(raw) ? raw.map(String).join(',') : String(raw);
    const fromEnv = env[variable] || undefined;
    if (fromContext !== undefined && fromEnv !== undefined && fromContext !== fromEnv) {
      throw new Error(`-c ${key}=${fromContext} and ${variable}=${fromEnv} disagree; set one of them`);
    }
    return fromContext ?? fromEnv;
  };
  const email = (setting: SettingName): string | undefined => {
    const value = read(setting)?.trim();
    if (value !== undefined && !EMAIL.test(value)) {
      throw new Error(`${stageName}:${setting} (${settingVariable(stageName, setting)}) = "${value}" is not an e-mail address`);
    }
    return value;
  };
  const emailSender = email('emailSender');
  const opsEmail = email('opsEmail');
  const rawOrigins = read('corsOrigins');
  const origins = rawOrigins?.split(',').map((o) => o.trim()).filter((o) => o.length > 0);
  for (const o of origins ?? []) {
    if (!ORIGIN.test(o)) {
      throw new Error(
        `${stageName}:corsOrigins (${settingVariable(stageName, 'corsOrigins')}): "${o}" is not an origin (https://host[:port], no path, no "*")`,
      );
    }
  }
  const given = { emailSender, opsEmail, corsOrigins: origins !== undefined && origins.length > 0 ? origins : undefined };
  const unset = REQUIRED_SETTINGS[stageName].filter((n) => given[n] === undefined);
  const deployable =
    pinned(stageName, 'account', env, context) !== undefined ||
    Boolean(env[REQUIRE_PINNED_ACCOUNTS_ENV]) ||
    (target.account !== undefined && explicitlySelected(stageName, context));
  if (deployable && unset.length > 0) {
    const how = unset.map((n) => `${settingVariable(stageName, n)} (or -c ${stageName}:${n}=...)`).join(', ');
    throw new Error(
      `Orders-${stageName} cannot be deployed without ${unset.join(', ')}: set ${how}. docs/deploy.md, "Stage settings".`,
    );
  }
  const corsAllowOrigins = given.corsOrigins ?? (REQUIRED_SETTINGS[stageName].includes('corsOrigins') ? [unsetCorsOrigin(stageName)] : [...DEV_CORS_ORIGINS]);
  return {
    ...(emailSender === undefined ? {} : { emailSender }),
    ...(opsEmail === undefined ? {} : { opsEmail }),
    corsAllowOrigins,
    unset,
  };
}
