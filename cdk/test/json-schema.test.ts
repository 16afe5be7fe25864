import { JsonSchemaVersion } from 'aws-cdk-lib/aws-apigateway';
import { join } from 'node:path';
import { loadApiGatewaySchema, toApiGatewaySchema } from '../lib/json-schema';

describe('contract schema -> API Gateway model', () => {
  test('the create-order contract converts (draft 4)', () => {
    const s = loadApiGatewaySchema(join(__dirname, '..', '..', 'contracts', 'schemas', 'create-order.schema.json'));
    expect(s.schema).toBe(JsonSchemaVersion.DRAFT4);
    expect(s.required).toEqual(['customerId', 'items']);
    expect(s.additionalProperties).toBe(false);
  });

  test.each([
    ['const', { const: 1 }],
    ['$defs', { $defs: {} }],
    ['if', { if: {} }],
    ['$ref', { $ref: '#/x' }],
    ['boolean exclusive bound', { exclusiveMinimum: true, minimum: 0 }],
  ])('rejects %s (outside the draft-4 / 2020-12 common subset)', (_name, schema) => {
    expect(() => toApiGatewaySchema({ type: 'object', properties: { a: schema } })).toThrow(/common subset/);
  });
});
