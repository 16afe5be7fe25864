import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS_DIR } from './paths';

/**
 * contracts/gateway.json: what API Gateway does in front of the functions,
 * written once. The CDK app builds the REST API from it (resources, methods,
 * CORS preflight, gateway responses); the Rust side (orders_http::gateway)
 * reads the same file for the functions' CORS headers and the local host.
 */
export const GATEWAY_CONTRACT_PATH = join(CONTRACTS_DIR, 'gateway.json');

export interface RequestModelSpec {
  readonly contentType: string;
  /** Relative to contracts/. */
  readonly schema: string;
}

export interface MethodSpec {
  readonly operationId: string;
  /** The function crate, `lambdas/<function>`. */
  readonly function: string;
  readonly optionalHeaders?: readonly string[];
  readonly requestModel?: RequestModelSpec;
}

export interface RouteSpec {
  /** `/orders/{orderId}`. */
  readonly path: string;
  readonly methods: Readonly<Record<string, MethodSpec>>;
}

export interface CorsPolicy {
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

export interface GatewayResponseSpec {
  /** API Gateway's response type (INVALID_API_KEY, DEFAULT_4XX, ...). */
  readonly type: string;
  /** null keeps the status of the error itself (the DEFAULT_* families). */
  readonly status: number | null;
  readonly code: string;
  readonly message: string;
  readonly details?: readonly { readonly field: string; readonly problem: string }[];
}

export interface GatewayContract {
  readonly maxBodyBytes: number;
  readonly routes: readonly RouteSpec[];
  readonly cors: CorsPolicy;
  readonly gatewayResponses: readonly GatewayResponseSpec[];
  readonly localDifferences: Readonly<Record<string, unknown>>;
}

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

/** Reads and checks the contract (a malformed file is a synth-time error). */
export function loadGatewayContract(path = GATEWAY_CONTRACT_PATH): GatewayContract {
  const c = JSON.parse(readFileSync(path, 'utf8')) as GatewayContract;
  if (!Number.isInteger(c.maxBodyBytes) || c.maxBodyBytes <= 0) fail(path, 'maxBodyBytes must be a positive integer');
  if (!Array.isArray(c.routes) || c.routes.length === 0) fail(path, 'routes must be a non-empty array');
  for (const r of c.routes) {
    if (!/^(\/([A-Za-z0-9._-]+|\{[A-Za-z][A-Za-z0-9]*\}))+$/.test(r.path)) fail(path, `route path ${r.path} is not a resource path`);
    for (const [m, spec] of Object.entries(r.methods) as [string, MethodSpec][]) {
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) fail(path, `${r.path}: method ${m}`);
      if (!spec.operationId || !spec.function) fail(path, `${m} ${r.path}: operationId and function are required`);
    }
  }
  const { cors } = c;
  if (!cors || !Number.isInteger(cors.maxAgeSeconds)) fail(path, 'cors.maxAgeSeconds must be an integer');
  for (const r of c.gatewayResponses) {
    if (r.status !== null && !Number.isInteger(r.status)) fail(path, `${r.type}: status must be an integer or null`);
  }
  return c;
}

export const GATEWAY_CONTRACT: GatewayContract = loadGatewayContract();

/** The `{name}` parameters of a resource path. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/**
 * `$context` variables API Gateway substitutes as a quoted JSON string
 * ("The quoted value of $context.error.message"): they stand unquoted in a
 * JSON template (AWS's own gateway-response example: `"message":
 * $context.error.messageString`). Gateway responses and access-log formats
 * are plain substitution, not VTL, so `$util.escapeJavaScript` is not
 * available there (and where it is, it escapes `'` as `\'`, invalid JSON).
 */
export const QUOTED_CONTEXT_VARIABLES: readonly string[] = ['$context.error.messageString'];

/**
 * Variables whose value may hold quotes or backslashes and that have no quoted
 * form: inside JSON quotes they break the document (the validator's messages
 * quote property names), so no template may use them.
 */
export const UNESCAPABLE_CONTEXT_VARIABLES: readonly string[] = ['$context.error.validationErrorString'];

/**
 * A JSON mapping template (gateway response body, access-log format) from a
 * value: JSON.stringify, then the quoted variables lose the quotes
 * JSON.stringify gave them, as API Gateway supplies its own. Refuses an
 * unescapable variable.
 */
export function jsonTemplate(value: unknown): string {
  let s = JSON.stringify(value);
  for (const v of UNESCAPABLE_CONTEXT_VARIABLES) {
    if (s.includes(v)) throw new Error(`${v} cannot stand in a JSON template: API Gateway does not escape it`);
  }
  for (const v of QUOTED_CONTEXT_VARIABLES) s = s.split(JSON.stringify(v)).join(v);
  return s;
}

/**
 * One gateway response body in the error model
 * (contracts/schemas/error.schema.json). Not VTL: API Gateway does plain
 * $context substitution in gateway responses.
 */
export function errorTemplate(r: GatewayResponseSpec): string {
  return jsonTemplate({
    error: { code: r.code, message: r.message, requestId: '$context.requestId', details: r.details ?? [] },
  });
}
