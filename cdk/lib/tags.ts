import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';

/** The release every resource is tagged with: the `version` of package.json. */
export const ORDERS_VERSION: string = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Tag keys on every taggable resource (cost allocation, inventory, incident search). */
export const TAG_KEYS = { service: 'service', stage: 'stage', version: 'version' } as const;
export const SERVICE_TAG = 'orders';

/**
 * Tags everything under `scope` with service, stage and version. The
 * version is the package's, not the commit: a tag that changed with every
 * commit would update every resource (and publish a Lambda version) on
 * every deploy.
 */
export function tagOrdersResources(scope: IConstruct, stage: string): void {
  Tags.of(scope).add(TAG_KEYS.service, SERVICE_TAG);
  Tags.of(scope).add(TAG_KEYS.stage, stage);
  Tags.of(scope).add(TAG_KEYS.version, ORDERS_VERSION);
}
