import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';
import { functionsTriggeredBy } from './functions-contract';
import { BY_CREATED_AT_INDEX, BY_STATUS_INDEX, KEY_PREFIXES, type OrdersTable } from './orders-table';
import { RustLambda } from './rust-lambda';

export interface ApiFunctionsProps {
  readonly config: StageConfig;
  readonly table: OrdersTable;
}

/**
 * The functions behind the REST API (contracts/gateway.json), each with the
 * item-level IAM of what it touches (no grant* helpers; docs/data-model.md):
 * - create-order writes the order and, with Idempotency-Key, the record in
 *   one TransactWriteItems (DynamoDB authorises each transactional Put as
 *   PutItem); on a cancelled transaction it reads the record, and only that;
 * - get-order reads orders; list-orders queries the two order indexes;
 * - cancel-order updates orders (its CANCELLED event comes from the stream).
 *
 * Not a construct level of its own: the functions are created in `scope`
 * (the stack), so their logical IDs stay those of the deployed stacks, which
 * a new path component would rename (and CloudFormation replace).
 */
export class ApiFunctions {
  public readonly createOrder: RustLambda;
  public readonly getOrder: RustLambda;
  public readonly listOrders: RustLambda;
  public readonly cancelOrder: RustLambda;

  constructor(scope: Construct, props: ApiFunctionsProps) {
    const { config, table } = props;
    const environment = {
      ORDERS_TABLE_NAME: table.tableName,
      // The functions answer CORS on actual responses; the gateway answers preflight.
      ALLOWED_ORIGINS: config.api.corsAllowOrigins.join(','),
    };
    const fn = (id: string, binaryName: string, description: string) =>
      new RustLambda(scope, id, { binaryName, description, config, environment });

    this.createOrder = fn('CreateOrder', 'create-order', 'POST /orders');
    this.getOrder = fn('GetOrder', 'get-order', 'GET /orders/{orderId}');
    this.listOrders = fn('ListOrders', 'list-orders', 'GET /orders');
    this.cancelOrder = fn('CancelOrder', 'cancel-order', 'POST /orders/{orderId}/cancel');
    const contract = functionsTriggeredBy('api').map((f) => f.name).sort();
    const built = this.all.map((f) => f.binaryName).sort();
    if (contract.join() !== built.join()) {
      throw new Error(`contracts/functions.json names the API functions ${contract.join(', ')}; ApiFunctions builds ${built.join(', ')}`);
    }

    this.createOrder.addToRolePolicy(
      table.itemStatement('PutOrdersAndIdempotencyRecords', ['dynamodb:PutItem'], [KEY_PREFIXES.order, KEY_PREFIXES.idempotency]),
    );
    this.createOrder.addToRolePolicy(table.itemStatement('ReadIdempotencyRecords', ['dynamodb:GetItem'], [KEY_PREFIXES.idempotency]));
    this.getOrder.addToRolePolicy(table.itemStatement('GetOrders', ['dynamodb:GetItem'], [KEY_PREFIXES.order]));
    this.listOrders.addToRolePolicy(table.indexQueryStatement('QueryOrderIndexes', [BY_STATUS_INDEX, BY_CREATED_AT_INDEX]));
    this.cancelOrder.addToRolePolicy(table.itemStatement('UpdateOrders', ['dynamodb:UpdateItem'], [KEY_PREFIXES.order]));
  }

  public get all(): RustLambda[] {
    return [this.createOrder, this.getOrder, this.listOrders, this.cancelOrder];
  }

  /** The `live` alias of each function, by its name in the contracts. */
  public get aliases(): ReadonlyMap<string, IFunction> {
    return new Map(this.all.map((f) => [f.binaryName, f.alias]));
  }
}
