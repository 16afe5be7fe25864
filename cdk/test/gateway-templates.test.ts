import { errorTemplate, jsonTemplate, QUOTED_CONTEXT_VARIABLES, UNESCAPABLE_CONTEXT_VARIABLES } from '../lib/gateway-contract';
import { STAGE_NAMES } from '../lib/config';
import { buildTestApp, onlyOne, resources } from './helpers';

/**
 * API Gateway's substitution in gateway responses and access-log formats (no
 * VTL): every `$context.x` is replaced by its value as it is; a quoted
 * variable (`$context.error.messageString`) by the value as a JSON string,
 * "the quoted value of $context.error.message".
 */
function renderAsApiGateway(template: string, values: Record<string, string>): string {
  return template.replace(/\$context\.[A-Za-z.]+[A-Za-z]/g, (name) => {
    const base = QUOTED_CONTEXT_VARIABLES.includes(name) ? name.replace(/String$/, '') : name;
    const value = values[base] ?? values[name];
    if (value === undefined) throw new Error(`no test value for ${name}`);
    return QUOTED_CONTEXT_VARIABLES.includes(name) ? JSON.stringify(value) : value;
  });
}

/** A validator-style message with everything that breaks naive quoting: quotes, a backslash, a newline. */
const NASTY = 'Invalid request body: [object has missing required properties (["lines"]), instance "a\\b" is not a \'number\'\n]';
const VALUES: Record<string, string> = {
  '$context.error.message': NASTY,
  '$context.error.validationErrorString': NASTY,
  '$context.requestId': '8b1f6c2e-4d2a-4a7e-9f39-2d1c7a0f5e11',
  '$context.extendedRequestId': 'Ab1CdE2fG3hIj=',
  '$context.requestTime': '05/Apr/2026:23:43:16 +0000',
  '$context.identity.sourceIp': '203.0.113.7',
  '$context.identity.userAgent': 'curl/8.5.0',
  '$context.identity.apiKeyId': 'abc123def4',
  '$context.httpMethod': 'POST',
  '$context.resourcePath': '/orders',
  '$context.path': '/dev/orders',
  '$context.status': '400',
  '$context.responseLength': '187',
  '$context.responseLatency': '12',
  '$context.integrationLatency': '-',
  '$context.integrationStatus': '-',
  '$context.error.responseType': 'BAD_REQUEST_BODY',
  '$context.xrayTraceId': 'Root=1-67891233-abcdef012345678912345678',
};

const testApp = buildTestApp({}, false);

describe.each(STAGE_NAMES)('%s: gateway templates render to valid JSON whatever the error message holds', (stage) => {
  const t = () => testApp.template(stage);

  test('every gateway response, rendered with a message full of quotes and backslashes, is valid JSON', () => {
    const responses = Object.values(resources(t(), 'AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties as any);
    expect(responses.length).toBeGreaterThan(5);
    for (const r of responses) {
      const rendered = renderAsApiGateway(r.ResponseTemplates['application/json'], VALUES);
      const body = JSON.parse(rendered);
      expect(body.error.requestId).toBe(VALUES['$context.requestId']);
      if (['BAD_REQUEST_BODY', 'BAD_REQUEST_PARAMETERS'].includes(r.ResponseType)) {
        // The gateway's message arrives intact.
        expect(body.error.message).toBe(NASTY);
      }
    }
  });

  test('the access-log line, rendered with the same message, is valid JSON', () => {
    const [, s] = onlyOne(Object.entries(resources(t(), 'AWS::ApiGateway::Stage')), 'stage');
    const line = JSON.parse(renderAsApiGateway(s.Properties?.AccessLogSetting.Format, VALUES));
    expect(line).toMatchObject({ errorMessage: NASTY, status: '400', requestId: VALUES['$context.requestId'] });
  });

  test('no template uses a variable that nothing escapes', () => {
    const json = JSON.stringify(t().toJSON());
    for (const v of UNESCAPABLE_CONTEXT_VARIABLES) expect(json).not.toContain(v);
  });
});

describe('the renderer can tell a broken template', () => {
  test('the previous template ("message": "$context.error.validationErrorString") is not JSON once rendered', () => {
    const before = JSON.stringify({ error: { message: '$context.error.validationErrorString', requestId: '$context.requestId' } });
    expect(() => JSON.parse(renderAsApiGateway(before, VALUES))).toThrow();
  });

  test('jsonTemplate refuses an unescapable variable and unquotes the quoted ones', () => {
    expect(() => jsonTemplate({ m: '$context.error.validationErrorString' })).toThrow(/does not escape it/);
    expect(jsonTemplate({ m: '$context.error.messageString', id: '$context.requestId' })).toBe(
      '{"m":$context.error.messageString,"id":"$context.requestId"}',
    );
    expect(() =>
      errorTemplate({ type: 'BAD_REQUEST_BODY', status: 400, code: 'VALIDATION_FAILED', message: '$context.error.validationErrorString' }),
    ).toThrow();
  });
});
