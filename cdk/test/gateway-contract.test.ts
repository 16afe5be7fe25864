import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_NAMES } from '../lib/config';
import { buildTestApp, functionByDescription, onlyOne, parseJsonTemplate, resources } from './helpers';

/**
 * The deployed gateway against contracts/gateway.json, read here on its own
 * (not through cdk/lib/gateway-contract.ts): resources and methods, CORS
 * preflight, gateway responses. tests/e2e/tests/gateway.rs holds the local
 * host to the same file, so the two cannot differ unless the contract's
 * localDifferences says so.
 */
const CONTRACT = JSON.parse(readFileSync(join(__dirname, '..', '..', 'contracts', 'gateway.json'), 'utf8'));
const ERROR_CODES: string[] = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'contracts', 'schemas', 'error.schema.json'), 'utf8'),
).properties.error.properties.code.enum;

const testApp = buildTestApp({}, false);

/** Full path of an AWS::ApiGateway::Resource (or the root) by logical id. */
function pathOf(all: Record<string, any>, resourceId: any): string {
  if (resourceId?.['Fn::GetAtt']?.[1] === 'RootResourceId') return '/';
  const id = resourceId?.Ref as string;
  const r = all[id];
  const parent = pathOf(all, r.Properties.ParentId);
  return `${parent === '/' ? '' : parent}/${r.Properties.PathPart}`;
}

describe.each(STAGE_NAMES)('%s: the REST API is the gateway contract', (stage) => {
  const t = () => testApp.template(stage);
  const methods = () =>
    Object.values(resources(t(), 'AWS::ApiGateway::Method')).map((m) => ({
      path: pathOf(resources(t()), m.Properties?.ResourceId),
      method: m.Properties?.HttpMethod as string,
      props: m.Properties as Record<string, any>,
    }));

  test('routes and methods: exactly the contract, each on its function', () => {
    const want: string[] = CONTRACT.routes.flatMap((r: any) => Object.keys(r.methods).map((m) => `${m} ${r.path}`));
    const got = methods()
      .filter((m) => m.method !== 'OPTIONS')
      .map((m) => `${m.method} ${m.path}`);
    expect(got.sort()).toEqual([...want].sort());
    for (const r of CONTRACT.routes) {
      for (const [method, spec] of Object.entries<any>(r.methods)) {
        const m = onlyOne(methods().filter((x) => x.path === r.path && x.method === method), `${method} ${r.path}`);
        expect(m.props.ApiKeyRequired).toBe(true);
        expect(m.props.Integration.Type).toBe('AWS_PROXY');
        // The function's description is its route; the integration targets its live alias.
        const [fnId] = functionByDescription(t(), `${method} ${r.path}`);
        const alias = onlyOne(
          Object.entries(resources(t(), 'AWS::Lambda::Alias')).filter(([, a]) => a.Properties?.FunctionName.Ref === fnId),
          'alias',
        )[0];
        expect(JSON.stringify(m.props.Integration.Uri)).toContain(alias);
        // ... and is built from lambdas/<function> (its role says which).
        const roleId = resources(t())[fnId]?.Properties?.Role['Fn::GetAtt'][0];
        expect(resources(t())[roleId]?.Properties?.Description).toBe(`Execution role of ${spec.function} (${stage})`);
        if (spec.requestModel) {
          expect(Object.keys(m.props.RequestModels)).toEqual([spec.requestModel.contentType]);
        } else {
          expect(m.props.RequestModels).toBeUndefined();
        }
      }
    }
  });

  test('CORS preflight on every resource is the contract policy', () => {
    const preflights = methods().filter((m) => m.method === 'OPTIONS');
    const paths = new Set(['/', ...CONTRACT.routes.map((r: any) => r.path)]);
    expect(new Set(preflights.map((m) => m.path))).toEqual(paths);
    for (const m of preflights) {
      expect(m.props.ApiKeyRequired).not.toBe(true);
      const h = m.props.Integration.IntegrationResponses[0].ResponseParameters;
      const value = (name: string) => (h[`method.response.header.${name}`] as string).replace(/^'|'$/g, '');
      expect(value('Access-Control-Allow-Methods').split(',')).toEqual(CONTRACT.cors.allowMethods);
      expect(value('Access-Control-Allow-Headers').split(',')).toEqual(CONTRACT.cors.allowHeaders);
      expect(value('Access-Control-Expose-Headers').split(',')).toEqual(CONTRACT.cors.exposeHeaders);
      expect(value('Access-Control-Max-Age')).toBe(String(CONTRACT.cors.maxAgeSeconds));
    }
  });

  test('gateway responses: exactly the contract, in the error model, with CORS', () => {
    const got = Object.values(resources(t(), 'AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties as any);
    expect(got.map((r) => r.ResponseType).sort()).toEqual(CONTRACT.gatewayResponses.map((r: any) => r.type).sort());
    for (const want of CONTRACT.gatewayResponses) {
      const r = onlyOne(got.filter((g) => g.ResponseType === want.type), want.type);
      expect(r.StatusCode).toBe(want.status === null ? undefined : String(want.status));
      expect(ERROR_CODES).toContain(want.code);
      expect(parseJsonTemplate(r.ResponseTemplates['application/json'])).toEqual({
        error: { code: want.code, message: want.message, requestId: '$context.requestId', details: want.details ?? [] },
      });
      const h = r.ResponseParameters;
      expect(h['gatewayresponse.header.Content-Type']).toBe("'application/json'");
      // One allowed origin per stage: the same CORS headers a function's answer has.
      expect(h['gatewayresponse.header.Access-Control-Allow-Origin']).toMatch(/^'https?:\/\/[^',]+'$/);
      expect(h['gatewayresponse.header.Access-Control-Expose-Headers']).toBe(`'${CONTRACT.cors.exposeHeaders.join(',')}'`);
      expect(h['gatewayresponse.header.Vary']).toBe("'Origin'");
    }
  });

  test("the functions' body limit is the contract's", () => {
    // The gateway's own limit (10 MiB) is far above it: the functions refuse with 413.
    expect(CONTRACT.maxBodyBytes).toBe(64 * 1024);
    for (const d of Object.values<any>(CONTRACT.localDifferences)) {
      if (typeof d !== 'object') continue;
      if (/^[A-Z_0-9]+$/.test(d.deployed)) {
        expect(CONTRACT.gatewayResponses.map((r: any) => r.type)).toContain(d.deployed);
      }
      if (d.local.code) expect(ERROR_CODES).toContain(d.local.code);
    }
  });
});
