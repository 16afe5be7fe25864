import { readFileSync } from 'node:fs';
import { JsonSchema, JsonSchemaVersion } from 'aws-cdk-lib/aws-apigateway';

/**
 * Keywords API Gateway models (JSON Schema draft 4) and the Rust validator
 * (2020-12) both understand the same way. Anything else in a shared schema is
 * a synth-time error, so the common subset cannot silently erode.
 */
const SCALAR_KEYWORDS = new Set([
  'type', 'title', 'description', 'enum', 'default', 'format', 'multipleOf',
  'maximum', 'minimum', 'maxLength', 'minLength', 'pattern', 'maxItems',
  'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required',
]);
const SCHEMA_KEYWORDS = new Set(['not']);
const SCHEMA_OR_BOOLEAN_KEYWORDS = new Set(['additionalProperties', 'additionalItems']);
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties']);
/** Annotations that describe the document, not the instance. */
const DROPPED_KEYWORDS = new Set(['$schema', '$id', 'id', '$comment', 'examples']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convert(node: Json, where: string, root: boolean): JsonSchema {
  if (!isObject(node)) throw new Error(`${where}: a schema must be an object`);
  const out: Record<string, unknown> = root ? { schema: JsonSchemaVersion.DRAFT4 } : {};
  for (const [key, value] of Object.entries(node)) {
    const at = `${where}/${key}`;
    if (DROPPED_KEYWORDS.has(key)) continue;
    if (SCALAR_KEYWORDS.has(key)) {
      out[key] = value;
    } else if (SCHEMA_KEYWORDS.has(key)) {
      out[key] = convert(value, at, false);
    } else if (SCHEMA_OR_BOOLEAN_KEYWORDS.has(key)) {
      out[key] = typeof value === 'boolean' ? value : convert(value, at, false);
    } else if (SCHEMA_LIST_KEYWORDS.has(key)) {
      if (!Array.isArray(value)) throw new Error(`${at}: must be an array of schemas`);
      out[key] = value.map((v, i) => convert(v, `${at}/${i}`, false));
    } else if (SCHEMA_MAP_KEYWORDS.has(key)) {
      if (!isObject(value)) throw new Error(`${at}: must be an object of schemas`);
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, `${at}/${k}`, false)]));
    } else if (key === 'items') {
      out.items = Array.isArray(value)
        ? value.map((v, i) => convert(v, `${at}/${i}`, false))
        : convert(value, at, false);
    } else {
      throw new Error(
        `${at}: keyword "${key}" is outside the draft-4 / 2020-12 common subset that API Gateway models accept`,
      );
    }
  }
  return out as JsonSchema;
}

/** Convert a parsed JSON Schema document into an API Gateway (draft 4) model schema. */
export function toApiGatewaySchema(document: unknown, name = 'schema'): JsonSchema {
  return convert(document as Json, name, true);
}

/** Read a JSON Schema file (e.g. from contracts/schemas) as an API Gateway model schema. */
export function loadApiGatewaySchema(path: string): JsonSchema {
  return toApiGatewaySchema(JSON.parse(readFileSync(path, 'utf8')), path);
}
