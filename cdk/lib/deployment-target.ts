import { isStageName, STAGE_NAMES, type StageName } from './stage-names';

// Deployment targets and the account bootstrap (issue 9: "the first deploy
// must succeed", "once per account"), apart from the stage tuning
// (cdk/lib/config.ts).

/** How the app reads CDK context (`app.node.tryGetContext`); tests pass a map. */
export type ContextLookup = (key: string) => unknown;
export const NO_CONTEXT: ContextLookup = () => undefined;

/** The process environment as the config reads it (tests pass a map). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Region used when the CLI/environment does not tell us one (offline synth). */
export const FALLBACK_REGION = 'us-east-1';

const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Where a stack deploys: a pinned account/region, or environment-agnostic (account unset). */
export interface DeploymentTarget {
  readonly account?: string;
  readonly region: string;
}

/**
 * Set (for example in the pipeline's synth job) to make a missing stage pin an
 * error instead of an environment-agnostic stack.
 */
export const REQUIRE_PINNED_ACCOUNTS_ENV = 'ORDERS_REQUIRE_PINNED_ACCOUNTS';

/** `ORDERS_PROD_ACCOUNT`, `ORDERS_BOOTSTRAP_REGION`, ... */
export function pinVariable(scope: string, what: 'account' | 'region'): string {
  return `ORDERS_${scope.toUpperCase()}_${what.toUpperCase()}`;
}

/**
 * One pinned value: `-c <scope>:<what>=...` or the environment variable
 * `ORDERS_<SCOPE>_<WHAT>`. Both set and different is an error (which one
 * would be meant?); a malformed value is an error.
 */
export function pinned(scope: string, what: 'account' | 'region', env: Env, context: ContextLookup): string | undefined {
  const key = `${scope}:${what}`;
  const variable = pinVariable(scope, what);
  const raw = context(key);
  const fromContext = raw === undefined || raw === null || raw === '' ? undefined : String(raw);
  const fromEnv = env[variable] || undefined;
  if (fromContext !== undefined && fromEnv !== undefined && fromContext !== fromEnv) {
    throw new Error(`-c ${key}=${fromContext} and ${variable}=${fromEnv} disagree; set one of them`);
  }
  const value = fromContext ?? fromEnv;
  const pattern = what === 'account' ? ACCOUNT_ID : REGION_NAME;
  if (value !== undefined && !pattern.test(value)) {
    throw new Error(`${key} (${variable}) = "${value}" is not an AWS ${what === 'account' ? 'account id (12 digits)' : 'region'}`);
  }
  return value;
}

/**
 * The account and region of a stage. A pinned account (`-c prod:account=...`
 * or `ORDERS_PROD_ACCOUNT`) makes the stack's env that account, so the CDK
 * CLI refuses to deploy it with credentials of any other account; the pinned
 * region likewise, and a pinned account needs a region (its own pin or
 * CDK_DEFAULT_REGION; never the offline fallback). Unpinned, the account falls back to CDK_DEFAULT_ACCOUNT
 * (the CLI's profile) or stays unset (environment-agnostic, offline synth),
 * unless ORDERS_REQUIRE_PINNED_ACCOUNTS is set, which makes it an error.
 */
export function stageTarget(scope: string, env: Env = process.env, context: ContextLookup = NO_CONTEXT): DeploymentTarget {
  const pinnedAccount = pinned(scope, 'account', env, context);
  if (pinnedAccount === undefined && env[REQUIRE_PINNED_ACCOUNTS_ENV]) {
    throw new Error(
      `${scope} has no pinned account: set ${pinVariable(scope, 'account')} (or -c ${scope}:account=...); ${REQUIRE_PINNED_ACCOUNTS_ENV} is set`,
    );
  }
  const account = pinnedAccount ?? (env.CDK_DEFAULT_ACCOUNT || undefined);
  const pinnedRegion = pinned(scope, 'region', env, context) ?? (env.CDK_DEFAULT_REGION || undefined);
  // An account pinned for a deploy with no region anywhere would otherwise
  // land in the offline fallback region, silently.
  if (pinnedAccount !== undefined && pinnedRegion === undefined) {
    throw new Error(
      `${scope} is pinned to account ${pinnedAccount} but has no region: set ${pinVariable(scope, 'region')} (or -c ${scope}:region=..., or CDK_DEFAULT_REGION)`,
    );
  }
  const region = pinnedRegion ?? FALLBACK_REGION;
  return account ? { account, region } : { region };
}

/**
 * One CDK bootstrap per stage, each with its own qualifier: the stage's
 * stacks synthesize with it (`DefaultStackSynthesizer`), so they deploy
 * through `cdk-<qualifier>-*-role-<account>-<region>` and nothing else, and
 * a stage's GitHub deploy role may assume only its own stage's bootstrap
 * roles (cdk/lib/account-bootstrap-stack.ts). At most 10 characters.
 */
export const CDK_QUALIFIERS: Readonly<Record<StageName, string>> = {
  dev: 'ordersdev',
  staging: 'ordersstg',
  prod: 'ordersprd',
};

/** The CDK toolkit stack of a stage's bootstrap (`cdk bootstrap --toolkit-stack-name`). */
export function toolkitStackName(stageName: StageName): string {
  return `CDKToolkit-${CDK_QUALIFIERS[stageName]}`;
}

/**
 * Stages never share an account: a stage's CloudFormation execution role
 * (the bootstrap's `--cloudformation-execution-policies`) acts on its whole
 * account, so an account per stage is what keeps an unreviewed dev deploy
 * away from prod. Checked on the accounts the synth knows (pinned, or the
 * CLI's); the pipeline pins every stage (ORDERS_REQUIRE_PINNED_ACCOUNTS).
 */
export function checkOneAccountPerStage(targets: ReadonlyMap<StageName, DeploymentTarget>): void {
  const byAccount = new Map<string, StageName[]>();
  for (const [stage, target] of targets) {
    if (target.account === undefined) continue;
    byAccount.set(target.account, [...(byAccount.get(target.account) ?? []), stage]);
  }
  for (const [account, stages] of byAccount) {
    if (stages.length > 1) {
      throw new Error(
        `${stages.join(' and ')} would deploy to the same account ${account}: every stage needs its own account ` +
          `(set ${stages.map((s) => pinVariable(s, 'account')).join(', ')}; docs/deploy.md, "One account per stage")`,
      );
    }
  }
}

/** The configuration of the once-per-account stack (cdk/lib/account-bootstrap-stack.ts). */
export interface AccountBootstrapConfig {
  readonly env: DeploymentTarget;
  /**
   * `OWNER/REPO` whose GitHub Actions may assume the roles; when unset here,
   * the stack's `GitHubRepository` parameter must be given at deploy time.
   */
  readonly githubRepository?: string;
  /** The environments (stages) whose GitHub deploy roles live in this account. */
  readonly environments: readonly StageName[];
  /**
   * The IAM OIDC provider for token.actions.githubusercontent.com (one per
   * URL per account): `create` it (the account's first region), use the
   * `existing` one of this account (any other region), or a given ARN.
   */
  readonly githubOidcProvider: 'create' | 'existing' | { readonly arn: string };
}

const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Context keys (`-c key=value`) and environment variables of the bootstrap:
 * `bootstrap:account` / `ORDERS_BOOTSTRAP_ACCOUNT` (and `:region`),
 * `github:repository` / `ORDERS_GITHUB_REPOSITORY` (or GitHub's own
 * `GITHUB_REPOSITORY`), `bootstrap:environments` (`dev,staging`; default
 * all), `bootstrap:githubOidcProvider` (`create` or `existing`),
 * `bootstrap:githubOidcProviderArn`. The CDK qualifiers are fixed
 * per stage (`CDK_QUALIFIERS`).
 */
export function accountBootstrapConfig(env: Env = process.env, context: ContextLookup = NO_CONTEXT): AccountBootstrapConfig {
  const text = (key: string): string | undefined => {
    const v = context(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const githubRepository = text('github:repository') ?? (env.ORDERS_GITHUB_REPOSITORY || env.GITHUB_REPOSITORY || undefined);
  if (githubRepository !== undefined && !GITHUB_REPOSITORY.test(githubRepository)) {
    throw new Error(`github:repository = "${githubRepository}" is not OWNER/REPO`);
  }
  const rawEnvironments = context('bootstrap:environments') ?? env.ORDERS_BOOTSTRAP_ENVIRONMENTS;
  const names =
    rawEnvironments === undefined || rawEnvironments === ''
      ? [...STAGE_NAMES]
      : (Array.isArray(rawEnvironments) ? rawEnvironments.map(String) : String(rawEnvironments).split(','))
          .map((n) => n.trim())
          .filter((n) => n.length > 0);
  for (const n of names) {
    if (!isStageName(n)) throw new Error(`bootstrap:environments: unknown stage "${n}"; expected ${STAGE_NAMES.join(', ')}`);
  }
  const providerArn = text('bootstrap:githubOidcProviderArn');
  const provider = text('bootstrap:githubOidcProvider') ?? 'create';
  if (provider !== 'create' && provider !== 'existing') {
    throw new Error(`bootstrap:githubOidcProvider = "${provider}": expected create (the account's first region) or existing`);
  }
  return {
    env: stageTarget('bootstrap', { ...env, [REQUIRE_PINNED_ACCOUNTS_ENV]: undefined }, context),
    ...(githubRepository === undefined ? {} : { githubRepository }),
    environments: STAGE_NAMES.filter((s) => names.includes(s)),
    githubOidcProvider: providerArn !== undefined ? { arn: providerArn } : provider,
  };
}
