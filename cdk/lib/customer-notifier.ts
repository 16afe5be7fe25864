import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { StageConfig } from './config';
import type { NotificationsTopic } from './notifications-topic';
import type { OrderEventsKey } from './order-events-key';
import { KEY_PREFIXES, type OrdersTable } from './orders-table';
import type { DeadLetterQueue } from './processing-queue';
import { RustLambda } from './rust-lambda';

export interface CustomerNotifierProps {
  readonly config: StageConfig;
  readonly table: OrdersTable;
  /** The topic whose OrderStatusChanged events the notifier subscribes to. */
  readonly notifications: NotificationsTopic;
  /** The key of the notifier's dead-letter queue. */
  readonly eventsKey: OrderEventsKey;
}

/** The domain of an e-mail address (`orders@example.com` -> `example.com`). */
export function emailDomain(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new Error(`not an e-mail address: ${address}`);
  return address.slice(at + 1);
}

/**
 * The customer notifier (notify-customer): subscribed to the notifications
 * topic's status changes, it reads the order, keeps its notification ledger
 * and sends e-mail (SES, when the stage has a sender) and SMS (when enabled).
 *
 * Not a construct level of its own: the function is created in `scope` (the
 * stack), so its logical IDs stay those of the deployed stacks.
 */
export class CustomerNotifier {
  public readonly function: RustLambda;
  /** Deliveries SNS gave up on and invocations Lambda gave up on. */
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, props: CustomerNotifierProps) {
    const { config, table } = props;
    const { emailSender, smsEnabled } = config.notifications;
    const fn = new RustLambda(scope, 'NotifyCustomer', {
      binaryName: 'notify-customer',
      description: 'Sends customer notifications per status (SNS)',
      config,
      environment: {
        ORDERS_TABLE_NAME: table.tableName,
        ...(emailSender === undefined ? {} : { EMAIL_SENDER: emailSender }),
        SMS_ENABLED: String(smsEnabled),
      },
    });
    this.function = fn;
    fn.addToRolePolicy(table.itemStatement('ReadOrders', ['dynamodb:GetItem'], [KEY_PREFIXES.order]));
    fn.addToRolePolicy(
      table.itemStatement('WriteNotificationLedger', ['dynamodb:PutItem', 'dynamodb:UpdateItem'], [KEY_PREFIXES.notification]),
    );
    if (emailSender !== undefined) {
      const stack = Stack.of(scope);
      const identity = (name: string) =>
        stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'SendEmailAsOrdersSender',
          actions: ['ses:SendEmail'],
          resources: [identity(emailDomain(emailSender)), identity(emailSender)],
          conditions: { StringEquals: { 'ses:FromAddress': emailSender } },
        }),
      );
    }
    if (smsEnabled) {
      // Publishing to a phone number has no resource ARN, so the Allow names
      // "*" (see the IAM5 acknowledgement); the Deny keeps every SNS ARN
      // (topics, including the encrypted order topics, and platform
      // endpoints of any account) out of it: SMS to phone numbers only.
      fn.addToRolePolicy(new PolicyStatement({ sid: 'SendSms', actions: ['sns:Publish'], resources: ['*'] }));
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'SmsOnlyNoTopicsOrEndpoints',
          effect: Effect.DENY,
          actions: ['sns:Publish'],
          resources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
        }),
      );
    }
    this.deadLetterQueue = props.notifications.subscribeToStatusChanges('Notifier', fn.alias);
    // SNS invokes the notifier asynchronously: Lambda retries a failed
    // invocation twice, then would drop the event. It goes to the same
    // dead-letter queue instead (docs/operations.md). Lambda sends it with the
    // function's role, hence the two statements.
    const cfnFunction = fn.function.node.defaultChild as CfnFunction;
    cfnFunction.deadLetterConfig = { targetArn: this.deadLetterQueue.queue.queueArn };
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'DeadLetterFailedInvocations',
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queue.queueArn],
      }),
    );
    // The queue is encrypted with the events key; the function sends with its
    // own role, through SQS only (it may send to no other queue).
    fn.addToRolePolicy(props.eventsKey.dataKeyStatementViaService('EncryptDeadLetters', 'sqs'));
  }
}
