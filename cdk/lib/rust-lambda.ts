import { AssetHashType, Duration } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, LoggingFormat, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkedEnvironment } from './functions-contract';
import { CARGO_MANIFEST, LAMBDAS_DIR, REPO_ROOT } from './paths';
import { rustAssetHash, type RustBuildSettings, rustSourceHash } from './source-hash';

/**
 * Context key that replaces the computed source hash. Only for tests, so
 * snapshots do not change whenever someone edits Rust code.
 */
export const SOURCE_HASH_CONTEXT = 'orders:rustSourceHash';

/** CloudWatch namespace of the functions' EMF metrics (orders-telemetry reads `METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'Orders';

export interface RustLambdaProps {
  /**
   * The function crate under `lambdas/` (its folder, package and binary
   * share this name), e.g. `create-order`; a function of contracts/functions.json.
   */
  readonly binaryName: string;
  readonly config: StageConfig;
  readonly description?: string;
  /** Overrides the stage's default function timeout (`config.lambda.timeout`). */
  readonly timeout?: Duration;
  /** Added to STAGE, RUST_LOG and METRICS_NAMESPACE, which every function gets; contracts/functions.json lists them all. */
  readonly environment?: Record<string, string>;
  /** Build settings (default: `DEFAULT_RUST_BUILD` on the stage's architecture: release, no features, no extra flags). */
  readonly build?: Partial<RustLambdaBuild>;
}

/** How a function's binary is built; all of it is part of the asset hash. */
export interface RustLambdaBuild extends Omit<RustBuildSettings, 'architecture'> {
  /** The function's architecture, and the build target. */
  readonly architecture: Architecture;
}

export const DEFAULT_RUST_BUILD: RustLambdaBuild = {
  architecture: Architecture.ARM_64,
  profile: 'release',
  features: [],
  cargoLambdaFlags: [],
  environment: {},
};

/**
 * The flags cargo lambda gets for one function's `build`: its own package,
 * then the features, then the extra flags. RustFunction selects the binary
 * with `--bin`, which alone builds every workspace member's features into
 * it (cargo unifies features over the selected packages, and `--bin` in a
 * workspace selects them all); `--package` builds the function with only
 * what its own dependency graph enables, as `cargo build -p` does.
 */
export function cargoLambdaFlags(binaryName: string, build: RustLambdaBuild): string[] {
  return [
    '--package',
    binaryName,
    ...(build.features.length > 0 ? ['--features', build.features.join(',')] : []),
    ...build.cargoLambdaFlags,
  ];
}

/** `build` as the asset hash sees it. */
export function buildSettings(build: RustLambdaBuild): RustBuildSettings {
  return { ...build, architecture: build.architecture.name };
}

/**
 * The one wrapper around cargo-lambda-cdk's RustFunction: the stage's
 * architecture (arm64; x86_64 for the emulator) on provided.al2023, X-Ray active tracing, its own log group (per-stage
 * retention and removal policy), the environment every function reads
 * (STAGE, RUST_LOG, METRICS_NAMESPACE), a role with no managed policies, a
 * `live` alias on the current version, and a stable custom asset hash.
 */
export class RustLambda extends Construct {
  public readonly function: RustFunction;
  public readonly alias: Alias;
  public readonly logGroup: LogGroup;
  public readonly role: Role;
  /** The function crate (`lambdas/<binaryName>`), also the name alarms use. */
  public readonly binaryName: string;
  public readonly timeout: Duration;
  public readonly build: RustLambdaBuild;

  constructor(scope: Construct, id: string, props: RustLambdaProps) {
    super(scope, id);
    const { config } = props;
    this.binaryName = props.binaryName;
    this.timeout = props.timeout ?? config.lambda.timeout;
    this.build = { ...DEFAULT_RUST_BUILD, architecture: config.lambda.architecture, ...props.build };
    const crateManifest = join(LAMBDAS_DIR, props.binaryName, 'Cargo.toml');
    if (!existsSync(crateManifest)) {
      throw new Error(`RustLambda ${props.binaryName}: no function crate at lambdas/${props.binaryName}/Cargo.toml`);
    }

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: logs only to
    // this function's own log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.binaryName} (${config.stageName})`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const sourceHash = (this.node.tryGetContext(SOURCE_HASH_CONTEXT) as string | undefined) ?? rustSourceHash(REPO_ROOT, props.binaryName);

    this.function = new RustFunction(this, 'Function', {
      // Built from the workspace (one target dir, one Cargo.lock); the
      // binary is the function crate's lambdas/<binaryName>.
      manifestPath: CARGO_MANIFEST,
      binaryName: props.binaryName,
      runtime: 'provided.al2023',
      architecture: this.build.architecture,
      // Identical in every stage, so the asset cache bundles each binary once
      // per synth; the hash covers the sources and every build setting.
      bundling: {
        architecture: this.build.architecture,
        profile: this.build.profile,
        cargoLambdaFlags: cargoLambdaFlags(props.binaryName, this.build),
        environment: { ...this.build.environment },
        assetHashType: AssetHashType.CUSTOM,
        assetHash: rustAssetHash(props.binaryName, sourceHash, buildSettings(this.build)),
      },
      description: props.description,
      memorySize: config.lambda.memoryMb,
      timeout: this.timeout,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      role: this.role,
      // Exactly the variables contracts/functions.json gives the function.
      environment: checkedEnvironment(props.binaryName, {
        STAGE: config.stageName,
        RUST_LOG: 'info',
        METRICS_NAMESPACE,
        ...props.environment,
      }),
    });

    this.alias = new Alias(this, 'LiveAlias', {
      aliasName: 'live',
      version: this.function.currentVersion,
    });
  }

  /** A share of the function's timeout (alarm thresholds on its duration). */
  public percentOfTimeout(percent: number): Duration {
    return Duration.millis(Math.round((this.timeout.toMilliseconds() * percent) / 100));
  }

  /** Grant something to the function's role (explicit statements only). */
  public addToRolePolicy(statement: PolicyStatement): void {
    this.role.addToPolicy(statement);
  }
}
