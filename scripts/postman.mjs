#!/usr/bin/env node
// The Postman collection and environments, generated from contracts/openapi.yaml
// with openapi-to-postmanv2 (pinned in package.json).
//
//   node scripts/postman.mjs            # (re)writes postman/
//   node scripts/postman.mjs --check    # regenerates into a temp dir and compares;
//                                       # exit 1 (with the diff) when postman/ is stale
//   node scripts/postman.mjs --out DIR  # writes into DIR instead
//
// The contract's bodies are $refs to contracts/schemas/*.json: they are bundled
// first (each file becomes components.schemas.<its title>) so the converter
// sees one document. The output is deterministic: the converter's random ids
// are dropped, keys keep the converter's order, and nothing carries a time.
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const Converter = require('openapi-to-postmanv2');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SPEC = join(ROOT, 'contracts/openapi.yaml');
const POSTMAN_DIR = join(ROOT, 'postman');
const COLLECTION = 'orders.postman_collection.json';
const LOCAL_URL = 'http://127.0.0.1:3000';
const STAGES = ['dev', 'staging', 'prod'];
const EXAMPLE_ORDER_ID = '019a1b2c-3d4e-7f00-8123-456789abcdef';

function forEachRequest(node, fn) {
  for (const item of node.item ?? []) {
    if (item.request) fn(item);
    forEachRequest(item, fn);
  }
}

/** Replaces every external `$ref` (a file path) by a ref into components.schemas. */
export function bundle(specPath) {
  const spec = parse(readFileSync(specPath, 'utf8'));
  const schemas = (spec.components ??= {}).schemas ??= {};
  const byFile = new Map();
  const load = (file) => {
    if (byFile.has(file)) return byFile.get(file);
    const schema = JSON.parse(readFileSync(file, 'utf8'));
    const name = (schema.title ?? file.replace(/^.*\/|\.schema\.json$|\.json$/g, '')).replace(/[^A-Za-z0-9_.-]/g, '');
    if (schemas[name] && !byFile.has(file)) throw new Error(`bundle: schema name ${name} (${file}) is taken`);
    byFile.set(file, name);
    delete schema.$schema;
    schemas[name] = walk(schema, dirname(file));
    return name;
  };
  const walk = (node, base) => {
    if (Array.isArray(node)) return node.map((n) => walk(n, base));
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
        if (v.includes('#')) throw new Error(`bundle: a fragment in an external $ref is not supported: ${v}`);
        out[k] = `#/components/schemas/${load(resolve(base, v))}`;
      } else {
        out[k] = walk(v, base);
      }
    }
    return out;
  };
  const bundled = walk(spec, dirname(specPath));
  bundled.components.schemas = schemas;
  exampleParameters(bundled);
  return bundled;
}

/**
 * A parameter without an example would be faked at random by the converter:
 * give it its default, its first allowed value, or a `<type>` placeholder.
 */
function exampleParameters(spec) {
  for (const item of Object.values(spec.paths ?? {})) {
    for (const op of [item, ...Object.values(item)]) {
      for (const p of op?.parameters ?? []) {
        if (p.$ref || p.example !== undefined || p.examples !== undefined || !p.schema) continue;
        const s = p.schema;
        p.example = s.default ?? s.enum?.[0] ?? `<${s.type ?? 'string'}>`;
      }
    }
  }
}

/** Anything else the converter fakes uses Math.random: a fixed seed (mulberry32). */
function seedRandom(seed) {
  let a = seed >>> 0;
  Math.random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function convert(spec) {
  seedRandom(20260101);
  return new Promise((ok, fail) => {
    Converter.convertV2(
      { type: 'json', data: spec },
      {
        folderStrategy: 'Tags',
        parametersResolution: 'Example',
        requestNameSource: 'Fallback',
        includeAuthInfoInExample: false,
        enableOptionalParameters: false,
        indentCharacter: 'Space',
        alwaysInheritAuthentication: true,
      },
      (err, result) => {
        if (err) return fail(err);
        if (!result.result) return fail(new Error(`openapi-to-postmanv2: ${result.reason}`));
        ok(result.output[0].data);
      },
    );
  });
}

/** Drops the converter's random ids (`id`, `_postman_id`) everywhere. */
function stripIds(node) {
  if (Array.isArray(node)) return node.map(stripIds);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' || k === '_postman_id') continue;
    out[k] = stripIds(v);
  }
  return out;
}

export async function collection() {
  const c = stripIds(await convert(bundle(SPEC)));
  // One auth for every request: the stage's API key in x-api-key.
  c.auth = {
    type: 'apikey',
    apikey: [
      { key: 'key', value: 'x-api-key', type: 'string' },
      { key: 'value', value: '{{apiKey}}', type: 'string' },
      { key: 'in', value: 'header', type: 'string' },
    ],
  };
  // The environment sets baseUrl; the collection's own value is the local host.
  // orderId: set by "Create an order" (its test script), used by get and cancel.
  c.variable = [
    { key: 'baseUrl', value: LOCAL_URL, type: 'string' },
    { key: 'orderId', value: EXAMPLE_ORDER_ID, type: 'string' },
  ];
  forEachRequest(c, (item) => {
    for (const v of item.request.url?.variable ?? []) {
      if (v.key === 'orderId') v.value = '{{orderId}}';
    }
    if (item.request.method === 'POST' && item.request.url?.path?.join('/') === 'orders') {
      item.event = [
        {
          listen: 'test',
          script: {
            type: 'text/javascript',
            exec: [
              '// Keeps the new order id for "Get one order" and "Cancel a pending order".',
              'if (pm.response.code === 201) {',
              "  pm.collectionVariables.set('orderId', pm.response.json().orderId);",
              '}',
            ],
          },
        },
      ];
    }
  });
  const json = JSON.stringify(c);
  if (!json.includes('{{baseUrl}}')) throw new Error('postman: the requests do not use {{baseUrl}}');
  if (/"auth":\{"type":"(?!apikey|inherit|noauth)/.test(json)) throw new Error('postman: a request has an auth other than the collection\'s');
  return c;
}

function environment(name, values) {
  return {
    name,
    values: values.map(([key, value, type]) => ({ key, value, type: type ?? 'default', enabled: true })),
    _postman_variable_scope: 'environment',
  };
}

export function environments() {
  const envs = {
    'local.postman_environment.json': environment('Orders local (orders-local)', [
      ['baseUrl', LOCAL_URL],
      // orders-local prints its key at start-up and keeps it in `api-key` next
      // to the database (.orders-local/api-key by default), or takes --api-key.
      ['apiKey', '', 'secret'],
    ]),
  };
  for (const stage of STAGES) {
    envs[`${stage}.postman_environment.json`] = environment(`Orders ${stage}`, [
      // The stack output Orders-<stage>/Service ApiUrl (docs/api-users.md), without its trailing slash.
      ['baseUrl', `<ApiUrl output of stack Orders-${stage}/Service>`],
      // aws apigateway get-api-key --include-value --api-key <ApiKeyId output> --query value
      ['apiKey', '', 'secret'],
    ]);
  }
  return envs;
}

async function generate(dir) {
  mkdirSync(dir, { recursive: true });
  const files = { [COLLECTION]: await collection(), ...environments() };
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(dir, name), `${JSON.stringify(body, null, 2)}\n`);
  }
  return Object.keys(files).sort();
}

async function main(argv) {
  const check = argv.includes('--check');
  const outIdx = argv.indexOf('--out');
  if (!check) {
    const dir = outIdx >= 0 ? resolve(argv[outIdx + 1]) : POSTMAN_DIR;
    const names = await generate(dir);
    console.log(`postman: wrote ${names.map((n) => relative(ROOT, join(dir, n))).join(', ')}`);
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'postman-check-'));
  try {
    const names = await generate(tmp);
    const stale = [];
    for (const n of names) {
      const have = join(POSTMAN_DIR, n);
      if (!existsSync(have) || readFileSync(have, 'utf8') !== readFileSync(join(tmp, n), 'utf8')) stale.push(n);
    }
    const extra = existsSync(POSTMAN_DIR) ? readdirSync(POSTMAN_DIR).filter((n) => n.endsWith('.json') && !names.includes(n)) : [];
    if (stale.length || extra.length) {
      for (const n of stale) {
        console.error(`postman: postman/${n} is not what contracts/openapi.yaml generates:`);
        const d = spawnSync('diff', ['-u', join(POSTMAN_DIR, n), join(tmp, n)], { encoding: 'utf8' });
        const lines = (d.stdout || d.stderr || `(postman/${n} is missing)`).split('\n');
        console.error(lines.slice(0, 60).join('\n') + (lines.length > 60 ? `\n... (${lines.length - 60} more lines)` : ''));
      }
      for (const n of extra) console.error(`postman: postman/${n} is not generated (remove it)`);
      console.error('postman: regenerate with  npm run postman  and commit postman/');
      return 1;
    }
    console.log(`postman: ${names.length} files in postman/ are current with contracts/openapi.yaml`);
    return 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (rc) => process.exit(rc),
  (e) => {
    console.error(`postman: ${e.stack ?? e}`);
    process.exit(2);
  },
);
