/**
 * DynamoDB stream records and the two pipe mechanisms the tests replay
 * offline: EventBridge event-pattern matching (the subset the filters use)
 * and input-template rendering.
 */

export const ORDER_ID = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
export const CREATED_AT = '2026-11-22T02:01:33.123Z';

/** An order item's stream record; `extra` adds (or replaces) NewImage attributes of an order item. */
export function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  sk: string,
  pk = `ORDER#${ORDER_ID}`,
  extra: Record<string, unknown> = {},
): any {
  const newImage =
    sk === 'ORDER'
      ? {
          pk: { S: pk },
          sk: { S: sk },
          orderId: { S: ORDER_ID },
          customerId: { S: 'cust-42' },
          status: { S: 'PENDING' },
          total: { S: '42.50' },
          currency: { S: 'EUR' },
          itemCount: { N: '3' },
          createdAt: { S: CREATED_AT },
          items: { L: [{ M: { sku: { S: 'SKU-1' }, quantity: { N: '3' }, unitPrice: { S: '14.16' } } }] },
          ...extra,
        }
      : { pk: { S: pk }, sk: { S: sk } };
  return {
    eventID: 'c81e728d9d4c2f636f067f89cc14862c',
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1795312893,
      Keys: { pk: { S: pk }, sk: { S: sk } },
      ...(eventName === 'REMOVE' ? {} : { NewImage: newImage }),
      SequenceNumber: '111',
      SizeBytes: 26,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-22T00:00:00.000',
  };
}

/**
 * EventBridge pattern matching for the subset the filters use: nested
 * objects, arrays of exact values, and `{"exists": true|false}`.
 */
export function matches(pattern: any, event: any): boolean {
  return Object.entries(pattern).every(([k, p]) => {
    const v = event?.[k];
    if (Array.isArray(p)) {
      return p.some((alt) => (typeof alt === 'object' && alt !== null && 'exists' in alt ? (v !== undefined) === alt.exists : alt === v));
    }
    return typeof v === 'object' && v !== null && matches(p, v);
  });
}

export function valueAt(record: any, path: string): unknown {
  return path.split('.').reduce((v: any, k) => v?.[k], record);
}

/**
 * The template semantics the contracts assume: each `<$.a.b>` is replaced by
 * the value's text (inside quotes it becomes part of the string; unquoted,
 * the N string "3" becomes the JSON number 3).
 */
export function renderRaw(template: string, record: any): string {
  return template.replace(/<\$\.([A-Za-z0-9_.]+)>/g, (_m, path: string) => {
    const v = valueAt(record, path);
    if (typeof v !== 'string') throw new Error(`no string at $.${path}`);
    return v;
  });
}

/**
 * EventBridge *rules* semantics (documented there): an unquoted placeholder
 * whose value is a string is inserted as a JSON string (see docs/cdk.md).
 */
export function renderQuotingStrings(template: string, record: any): string {
  return template.replace(/("?)<\$\.([A-Za-z0-9_.]+)>/g, (_m, quote: string, path: string) => {
    const v = valueAt(record, path) as string;
    return quote ? quote + JSON.stringify(v).slice(1, -1) : JSON.stringify(v);
  });
}
