import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageConfig } from './config';
import { CONTRACTS_DIR } from './paths';

/** contracts/table-keys.json: the key formats Rust builds and IAM conditions on. */
export const TABLE_KEYS_CONTRACT_PATH = join(CONTRACTS_DIR, 'table-keys.json');

interface KeyFormat {
  readonly prefix: string;
  readonly sortKey: string;
}
interface IndexFormat {
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: 'ALL';
  readonly prefix: string;
}
interface TableKeysContract {
  readonly table: {
    readonly partitionKey: string;
    readonly sortKey: string;
    readonly ttlAttribute: string;
    readonly items: Readonly<Record<ItemType, KeyFormat>>;
  };
  readonly indexes: Readonly<Record<IndexName, IndexFormat>>;
}

/** The table's item types (contracts/table-keys.json `table.items`). */
export type ItemType = 'order' | 'idempotency' | 'notification' | 'payment' | 'paymentAttempt' | 'stock' | 'reservation';
/** Index names, as used by the Rust adapters (docs/data-model.md). */
export const BY_STATUS_INDEX = 'byStatus';
export const BY_CREATED_AT_INDEX = 'byCreatedAt';
type IndexName = typeof BY_STATUS_INDEX | typeof BY_CREATED_AT_INDEX;

export const TABLE_KEYS: TableKeysContract = JSON.parse(readFileSync(TABLE_KEYS_CONTRACT_PATH, 'utf8')) as TableKeysContract;

/** Partition key prefix of each item type (`ORDER#`, ...); IAM follows them. */
export const KEY_PREFIXES: Readonly<Record<ItemType, string>> = Object.fromEntries(
  Object.entries(TABLE_KEYS.table.items).map(([type, format]) => [type, format.prefix]),
) as Record<ItemType, string>;

/** Partition key prefix of each index (`STATUS#`, `ORDERS#`): what a Query on it names. */
export const INDEX_PREFIXES: Readonly<Record<IndexName, string>> = {
  [BY_STATUS_INDEX]: TABLE_KEYS.indexes[BY_STATUS_INDEX].prefix,
  [BY_CREATED_AT_INDEX]: TABLE_KEYS.indexes[BY_CREATED_AT_INDEX].prefix,
};

/** TTL attribute of idempotency records (epoch seconds). */
export const TTL_ATTRIBUTE = TABLE_KEYS.table.ttlAttribute;

const PROJECTIONS: Readonly<Record<string, ProjectionType>> = { ALL: ProjectionType.ALL };

/**
 * The condition of every item-level grant: each partition key the request
 * names (`dynamodb:LeadingKeys`) starts with one of the prefixes, and the
 * request names one (`ForAllValues` alone is true for a request without the key).
 */
export function leadingKeysCondition(prefixes: readonly string[]): Record<string, Record<string, unknown>> {
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}

export interface OrdersTableProps {
  readonly config: StageConfig;
}

/**
 * The orders table, exactly as docs/data-model.md describes it: `pk`/`sk`,
 * two write-sharded GSIs with projection ALL, TTL on `expiresAt`, a
 * NEW_AND_OLD_IMAGES stream (the order write is the event), on-demand
 * capacity, encryption with the AWS-managed KMS key, PITR and removal policy
 * per stage.
 */
export class OrdersTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: OrdersTableProps) {
    super(scope, id);
    const { config } = props;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.table.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.table.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
      deletionProtection: config.stageName === 'prod',
      removalPolicy: config.removalPolicy,
    });

    for (const [indexName, index] of Object.entries(TABLE_KEYS.indexes)) {
      const projectionType = PROJECTIONS[index.projection];
      if (projectionType === undefined) throw new Error(`${TABLE_KEYS_CONTRACT_PATH}: ${indexName}: projection ${index.projection}`);
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType,
      });
    }
  }

  public get tableName(): string {
    return this.table.tableName;
  }

  public get tableArn(): string {
    return this.table.tableArn;
  }

  /**
   * Item actions on the table restricted to partition keys with the given
   * prefixes. A TransactWriteItems is authorised per contained action and
   * item, so it is covered by the Put/Update/ConditionCheck statements of
   * its items.
   */
  public itemStatement(sid: string, actions: string[], prefixes: readonly string[]): PolicyStatement {
    return new PolicyStatement({ sid, actions, resources: [this.table.tableArn], conditions: leadingKeysCondition(prefixes) });
  }

  /**
   * Query on indexes, restricted to their partitions: on an index the
   * request's leading key is the index's partition key value (`STATUS#…`,
   * `ORDERS#…`), the only partition key a Query on it names.
   */
  public indexQueryStatement(sid: string, indexNames: readonly IndexName[]): PolicyStatement {
    return new PolicyStatement({
      sid,
      actions: ['dynamodb:Query'],
      resources: indexNames.map((n) => this.indexArn(n)),
      conditions: leadingKeysCondition(indexNames.map((n) => INDEX_PREFIXES[n])),
    });
  }

  /** ARN of one of the table's indexes (for Query permissions). */
  public indexArn(indexName: string): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }
}
