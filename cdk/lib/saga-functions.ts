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
 * - payments: reads `ORDER#` (total, currency, token); reads and writes
 *   its ledger `PAYMENT#` and the simulated provider's `PAYMENT_ATTEMPT#`;
 * - inventory: reads `ORDER#` (lines); reads and writes `STOCK#` and
 *   `RESERVATION#` (the reservation's TransactWriteItems is authorised per
 *   contained Put/Update);
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

    this.payments = fn('Payments', 'payments', SAGA_FUNCTION_DESCRIPTIONS.payments);
    this.payments.addToRolePolicy(table.itemStatement('ReadOrders', ['dynamodb:GetItem'], [KEY_PREFIXES.order]));
    this.payments.addToRolePolicy(
      table.itemStatement('WritePaymentLedger', readWrite, [KEY_PREFIXES.payment, KEY_PREFIXES.paymentAttempt]),
    );

    this.inventory = fn('Inventory', 'inventory', SAGA_FUNCTION_DESCRIPTIONS.inventory);
    this.inventory.addToRolePolicy(table.itemStatement('ReadOrders', ['dynamodb:GetItem'], [KEY_PREFIXES.order]));
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
