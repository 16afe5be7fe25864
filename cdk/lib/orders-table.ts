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
import type { StageConfig } from './config';

/** Index names, as used by the Rust adapters (docs/data-model.md). */
export const BY_STATUS_INDEX = 'byStatus';
export const BY_CREATED_AT_INDEX = 'byCreatedAt';
/** TTL attribute of idempotency records (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Partition key prefixes of the table's item types (docs/data-model.md); IAM follows them. */
export const KEY_PREFIXES = {
  /** `ORDER#<orderId>`, `sk = ORDER` */
  order: 'ORDER#',
  /** `IDEMPOTENCY#<key>`, `sk = IDEMPOTENCY` */
  idempotency: 'IDEMPOTENCY#',
  /** `NOTIFICATION#<orderId>#<STATUS>`, `sk = NOTIFICATION` */
  notification: 'NOTIFICATION#',
  /** `PAYMENT#<orderId>`, `sk = PAYMENT` */
  payment: 'PAYMENT#',
  /** `PAYMENT_ATTEMPT#<key>`, `sk = ATTEMPT` */
  paymentAttempt: 'PAYMENT_ATTEMPT#',
  /** `STOCK#<sku>`, `sk = STOCK` */
  stock: 'STOCK#',
  /** `RESERVATION#<orderId>`, `sk = RESERVATION` */
  reservation: 'RESERVATION#',
} as const;

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
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.pointInTimeRecovery },
      deletionProtection: config.stageName === 'prod',
      removalPolicy: config.removalPolicy,
    });

    this.table.addGlobalSecondaryIndex({
      indexName: BY_STATUS_INDEX,
      partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BY_CREATED_AT_INDEX,
      partitionKey: { name: 'gsi2pk', type: AttributeType.STRING },
      sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  public get tableName(): string {
    return this.table.tableName;
  }

  public get tableArn(): string {
    return this.table.tableArn;
  }

  /**
   * Item actions on the table restricted to partition keys with the given
   * prefixes (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`). A
   * TransactWriteItems is authorised per contained action, so it is covered
   * by the Put/Update/ConditionCheck statements of its items.
   */
  public itemStatement(sid: string, actions: string[], prefixes: readonly string[]): PolicyStatement {
    return new PolicyStatement({
      sid,
      actions,
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((p) => `${p}*`) } },
    });
  }

  /** ARN of one of the table's indexes (for Query permissions). */
  public indexArn(indexName: string): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }
}
