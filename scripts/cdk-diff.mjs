// Offline diff of two synthesized cloud assemblies (no AWS account): for each
// CloudFormation stack (by its display name, e.g. Orders-dev/Service) renders
// what `cdk diff` would show, with @aws-cdk/cloudformation-diff (the library
// the CDK CLI itself uses). Output is Markdown for a GitHub step summary.
//
// Usage: node scripts/cdk-diff.mjs BASE_CDK_OUT HEAD_CDK_OUT
// Exit code 0 whether or not there are differences; 2 on bad input.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fullDiff, formatDifferences } from '@aws-cdk/cloudformation-diff';

const [baseDir, headDir] = process.argv.slice(2);
if (!baseDir || !headDir) {
  console.error('usage: node scripts/cdk-diff.mjs BASE_CDK_OUT HEAD_CDK_OUT');
  process.exit(2);
}

/** displayName -> template object, over the assembly and its nested (stage) assemblies. */
function stacks(dir) {
  const out = new Map();
  const visit = (d) => {
    const manifestPath = path.join(d, 'manifest.json');
    if (!existsSync(manifestPath)) return;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type === 'aws:cloudformation:stack') {
        const file = path.join(d, artifact.properties.templateFile);
        out.set(artifact.displayName ?? id, JSON.parse(readFileSync(file, 'utf8')));
      } else if (artifact.type === 'cdk:cloud-assembly') {
        visit(path.join(d, artifact.properties.directoryName));
      }
    }
  };
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    console.error(`cdk-diff: ${dir} is not a cloud assembly (no manifest.json)`);
    process.exit(2);
  }
  visit(dir);
  return out;
}

function render(diff) {
  const chunks = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  stream.columns = 120;
  formatDifferences(stream, diff);
  // eslint-disable-next-line no-control-regex
  return chunks.join('').replace(/\u001b\[[0-9;]*m/g, '');
}

const base = stacks(baseDir);
const head = stacks(headDir);
const names = [...new Set([...base.keys(), ...head.keys()])].sort();
const lines = ['## CDK diff (offline, synthesized templates: base vs this change)', ''];
let changed = 0;
for (const name of names) {
  const before = base.get(name) ?? {};
  const after = head.get(name) ?? {};
  const diff = fullDiff(before, after);
  const status = !base.has(name) ? 'new stack' : !head.has(name) ? 'stack removed' : diff.isEmpty ? 'no changes' : `${diff.differenceCount} change(s)`;
  lines.push(`### ${name}: ${status}`);
  if (!diff.isEmpty) {
    changed += 1;
    lines.push('', '<details open><summary>diff</summary>', '', '```', render(diff).trimEnd(), '```', '', '</details>');
  }
  lines.push('');
}
lines.push(changed === 0 ? '_No stack changes._' : `_${changed} of ${names.length} stack(s) change._`);
console.log(lines.join('\n'));
