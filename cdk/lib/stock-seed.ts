import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageConfig } from './config';
import { KEY_PREFIXES, type OrdersTable } from './orders-table';
import { CONTRACTS_DIR } from './paths';

/** The stock every stage with `workflow.seedStock` starts with (the local host seeds the same file). */
export const STOCK_SEED_PATH = join(CONTRACTS_DIR, 'stock', 'seed.json');
/**
 * `updatedAt` of a seeded record. The template carries no clock (a synth-time
 * timestamp would change every resource on every synth), so a seeded record
 * nobody has touched yet says the Unix epoch; the first reservation, release
 * or `orders-admin stock set` writes a real time.
 */
export const SEED_UPDATED_AT = '1970-01-01T00:00:00.000Z';

export interface SeedItem {
  readonly sku: string;
  readonly quantity: number;
}

/** contracts/stock/seed.json, checked as orders-core's `StockFile::parse` checks it. */
export function readStockSeed(path: string = STOCK_SEED_PATH): SeedItem[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { items?: unknown };
  if (!Array.isArray(file.items)) throw new Error(`${path}: no "items" array`);
  const seen = new Set<string>();
  return file.items.map((raw: { sku?: unknown; quantity?: unknown }) => {
    const { sku, quantity } = raw;
    if (typeof sku !== 'string' || sku.length === 0 || [...sku].length > 64) throw new Error(`${path}: a SKU must be 1 to 64 characters`);
    if (seen.has(sku)) throw new Error(`${path}: SKU ${sku} is listed twice`);
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 0 || quantity > 0xffff_ffff) {
      throw new Error(`${path}: quantity of ${sku} is not a non-negative integer`);
    }
    seen.add(sku);
    return { sku, quantity };
  });
}

export interface StockSeedProps {
  readonly config: StageConfig;
  readonly table: OrdersTable;
  readonly items?: readonly SeedItem[];
}

/**
 * Seeds the stock records, one custom resource per SKU: `PutItem` on create
 * only, conditional on `attribute_not_exists(pk)` (an existing record is
 * kept: the failed condition is ignored), never on update or delete. So a
 * deploy never overwrites stock, and editing the seed file later changes no
 * stage's stock (`orders-admin stock` does). The provider function's role may
 * put `STOCK#` items and nothing else.
 */
export class StockSeed extends Construct {
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  public readonly records: AwsCustomResource[];

  constructor(scope: Construct, id: string, props: StockSeedProps) {
    super(scope, id);
    const { config, table } = props;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the stock seed custom resource (${config.stageName})`,
    });
    this.role.addToPolicy(table.itemStatement('PutStockRecords', ['dynamodb:PutItem'], [KEY_PREFIXES.stock]));
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.records = (props.items ?? readStockSeed()).map(({ sku, quantity }) => {
      const record = new AwsCustomResource(this, `Sku-${sku.replace(/\//g, '_')}`, {
        resourceType: 'Custom::StockSeed',
        onCreate: {
          service: 'DynamoDB',
          action: 'PutItem',
          parameters: {
            TableName: table.tableName,
            Item: {
              pk: { S: `${KEY_PREFIXES.stock}${sku}` },
              sk: { S: 'STOCK' },
              sku: { S: sku },
              available: { N: String(quantity) },
              reserved: { N: '0' },
              updatedAt: { S: SEED_UPDATED_AT },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
          // The record exists (seeded before, or set by an operator): keep it.
          ignoreErrorCodesMatching: 'ConditionalCheckFailedException',
          physicalResourceId: PhysicalResourceId.of(`${KEY_PREFIXES.stock}${sku}`),
        },
        role: this.role,
        logGroup: this.logGroup,
        installLatestAwsSdk: false,
      });
      // The provider runs with the role: its policy must exist first.
      record.node.addDependency(this.role);
      return record;
    });
  }
}
