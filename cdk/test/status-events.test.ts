import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageName } from '../lib/config';
import { ORDER_INSERT_FILTER, ORDER_STATUS_CHANGE_FILTER, ORDER_STATUS_CHANGED_TEMPLATE_PATH } from '../lib/order-events-pipe';
import { buildTestApp, onlyOne, resources } from './helpers';
import { matches, ORDER_ID, renderRaw, streamRecord } from './stream-records';

// Every status change's OrderStatusChanged event is the `statusEvent` the
// conditional transition writes on the order item; the second pipe
// forwards it from the stream to the notifications topic as it is.

const testApp = buildTestApp({}, false);
const t = (s: StageName) => testApp.template(s);
const statusPipe = (s: StageName) =>
  onlyOne(
    Object.entries(resources(t(s), 'AWS::Pipes::Pipe')).filter(([id]) => id.startsWith('OrderStatusChangedPipe')),
    'status pipe',
  )[1];

const STATUS_EVENT = {
  eventType: 'OrderStatusChanged',
  eventVersion: 1,
  eventId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a99',
  occurredAt: '2026-11-22T02:01:35.000Z',
  orderId: ORDER_ID,
  previousStatus: 'PROCESSING',
  status: 'FAILED',
  reason: 'OUT_OF_STOCK',
  changedAt: '2026-11-22T02:01:35.000Z',
};
const withStatusEvent = (eventName: 'INSERT' | 'MODIFY') =>
  streamRecord(eventName, 'ORDER', undefined, {
    status: { S: 'FAILED' },
    statusEvent: { S: JSON.stringify(STATUS_EVENT) },
  });

describe('OrderStatusChanged pipe: filter', () => {
  const pattern = JSON.parse(statusPipe('dev').Properties?.SourceParameters.FilterCriteria.Filters[0].Pattern);

  test('the synthesized filter is ORDER_STATUS_CHANGE_FILTER', () => {
    expect(pattern).toEqual(ORDER_STATUS_CHANGE_FILTER);
  });

  test('passes order MODIFYs that carry a statusEvent, and nothing else', () => {
    expect(matches(pattern, withStatusEvent('MODIFY'))).toBe(true);
    // An order write without a transition (no statusEvent in the new image).
    expect(matches(pattern, streamRecord('MODIFY', 'ORDER'))).toBe(false);
    // The order's creation is the OrderCreated event, not a status change.
    expect(matches(pattern, withStatusEvent('INSERT'))).toBe(false);
    expect(matches(pattern, streamRecord('REMOVE', 'ORDER'))).toBe(false);
    for (const [sk, pk] of [
      ['PAYMENT', `PAYMENT#${ORDER_ID}`],
      ['ATTEMPT', 'PAYMENT_ATTEMPT#k'],
      ['STOCK', 'STOCK#laptop'],
      ['RESERVATION', `RESERVATION#${ORDER_ID}`],
      ['NOTIFICATION', `NOTIFICATION#${ORDER_ID}#FAILED`],
      ['IDEMPOTENCY', 'IDEMPOTENCY#key-1'],
    ] as const) {
      expect(matches(pattern, streamRecord('MODIFY', sk, pk))).toBe(false);
      expect(matches(pattern, streamRecord('INSERT', sk, pk))).toBe(false);
    }
  });

  test('the OrderCreated filter lets none of the saga items through either', () => {
    for (const [sk, pk] of [
      ['PAYMENT', `PAYMENT#${ORDER_ID}`],
      ['ATTEMPT', 'PAYMENT_ATTEMPT#k'],
      ['STOCK', 'STOCK#laptop'],
      ['RESERVATION', `RESERVATION#${ORDER_ID}`],
    ] as const) {
      expect(matches(ORDER_INSERT_FILTER, streamRecord('INSERT', sk, pk))).toBe(false);
    }
    expect(matches(ORDER_INSERT_FILTER, withStatusEvent('MODIFY'))).toBe(false);
  });
});

describe('OrderStatusChanged pipe: input template', () => {
  const file = readFileSync(ORDER_STATUS_CHANGED_TEMPLATE_PATH, 'utf8');

  test('the file is exactly the statusEvent placeholder and a newline; the pipe gets it without the newline', () => {
    expect(file).toBe('<$.dynamodb.NewImage.statusEvent.S>\n');
    expect(statusPipe('dev').Properties?.TargetParameters).toEqual({ InputTemplate: '<$.dynamodb.NewImage.statusEvent.S>' });
  });

  test('rendered, the SNS message is the statusEvent JSON as the store wrote it, with every schema field', () => {
    const message = renderRaw(file.trim(), withStatusEvent('MODIFY'));
    expect(message).toBe(JSON.stringify(STATUS_EVENT));
    const schema = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'contracts', 'events', 'order-status-changed.v1.schema.json'), 'utf8'),
    );
    expect(Object.keys(JSON.parse(message)).sort()).toEqual(Object.keys(schema.properties).sort());
  });
});

describe('notifier subscription filter on the message body', () => {
  const sub = onlyOne(Object.values(resources(t('dev'), 'AWS::SNS::Subscription')), 'subscription');

  test('matches the rendered status event and nothing of another type', () => {
    expect(sub.Properties?.FilterPolicyScope).toBe('MessageBody');
    const policy = sub.Properties?.FilterPolicy;
    expect(matches(policy, STATUS_EVENT)).toBe(true);
    expect(matches(policy, { ...STATUS_EVENT, eventType: 'OrderCreated' })).toBe(false);
    expect(matches(policy, {})).toBe(false);
  });
});
