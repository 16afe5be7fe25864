import { Construct } from 'constructs';
import type { StageConfig } from './config';
import { KEY_PREFIXES, type OrdersTable } from './orders-table';
import { RustLambda } from './rust-lambda';

export interface SagaFunctionsProps {
  readonly config: StageConfig;
  readonly table: OrdersTable;
}

/** Descriptions of the saga's functions (tests find them by these). */
export const SAGA_FUNCTION_DESCRIPTIONS = {
  payments: 'Payments: charge and refund (order saga)',
  inventory: 'Inventory: reserve and release stock (order saga)',
  settleOrder: 'Settles orders PROCESSING to COMPLETED or FAILED (order saga)',
} as const;

/**
 * The functions the order saga invokes, each touching only its own items
 * (docs/data-model.md, `dynamodb:LeadingKeys`):
 * - payments: on `ORDER#` the saga's fence: reads the order (total,
 *   currency, token), condition-checks it in the charge intent's
 *   TransactWriteItems (PROCESSING, compensation not begun) and begins
 *   its compensation before a refund (UpdateItem of
 *   `compensationStartedAt`); reads and writes its ledger `PAYMENT#` and
 *   the simulated provider's `PAYMENT_ATTEMPT#`;
 * - inventory: on `ORDER#` the same fence: reads the order (lines),
 *   condition-checks it in the reservation's TransactWriteItems and begins
 *   its compensation before a release; reads and writes `STOCK#` and
 *   `RESERVATION#` (a TransactWriteItems is authorised per contained
 *   ConditionCheck/Put/Update);
 * - settle-order: the conditional transition of `ORDER#` (UpdateItem; a
 *   failed condition returns the old item, so no GetItem).
 */
export class SagaFunctions extends Construct {
  public readonly payments: RustLambda;
  public readonly inventory: RustLambda;
  public readonly settleOrder: RustLambda;

  constructor(scope: Construct, id: string, props: SagaFunctionsProps) {
    super(scope, id);
    const { config, table } = props;
    const environment = { ORDERS_TABLE_NAME: table.tableName };
    const fn = (fnId: string, binaryName: string, description: string) =>
      new RustLambda(this, fnId, { binaryName, description, config, environment });
    const readWrite = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
    // The order item is the saga's fence: read, condition-checked in the
    // step's transaction, and marked when compensation begins. Never Put:
    // only the create-order function writes whole order items.
    const orderFence = ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'];

    this.payments = fn('Payments', 'payments', SAGA_FUNCTION_DESCRIPTIONS.payments);
    this.payments.addToRolePolicy(table.itemStatement('OrderFence', orderFence, [KEY_PREFIXES.order]));
    this.payments.addToRolePolicy(
      table.itemStatement('WritePaymentLedger', readWrite, [KEY_PREFIXES.payment, KEY_PREFIXES.paymentAttempt]),
    );

    this.inventory = fn('Inventory', 'inventory', SAGA_FUNCTION_DESCRIPTIONS.inventory);
    this.inventory.addToRolePolicy(table.itemStatement('OrderFence', orderFence, [KEY_PREFIXES.order]));
    this.inventory.addToRolePolicy(
      table.itemStatement('WriteStockAndReservations', readWrite, [KEY_PREFIXES.reservation, KEY_PREFIXES.stock]),
    );

    this.settleOrder = fn('SettleOrder', 'settle-order', SAGA_FUNCTION_DESCRIPTIONS.settleOrder);
    this.settleOrder.addToRolePolicy(table.itemStatement('UpdateOrders', ['dynamodb:UpdateItem'], [KEY_PREFIXES.order]));
  }

  public get all(): RustLambda[] {
    return [this.payments, this.inventory, this.settleOrder];
  }
}
