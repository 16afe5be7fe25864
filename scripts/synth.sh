#!/usr/bin/env bash
# Real `cdk synth` of the Orders app: cargo-lambda-cdk cross-compiles every
# Rust function for arm64 (cargo lambda + zig from .venv), then this script
# checks that every stage's every function got an aarch64 ELF `bootstrap`.
#
#   scripts/synth.sh              # all stages (dev, staging, prod)
#   scripts/synth.sh dev          # only Orders-dev  (-c stage=dev)
#   scripts/synth.sh dev prod     # several
#
# Each function's asset hash is a hash of the Rust sources (cdk/lib/source-hash.ts),
# identical in every stage: a function is built once per synth, and not at all
# when cdk.out already holds its asset for the current sources.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log() { printf 'synth: %s\n' "$*" >&2; }
die() { printf 'synth: error: %s\n' "$*" >&2; exit 1; }

# --- tools --------------------------------------------------------------------
# .venv is shared with scripts/setup.sh (same pins file, same lock); create or
# complete it only if cargo-lambda is missing.
REQ=scripts/requirements-tools.txt
pin() { # pin NAME DEFAULT -> NAME==VERSION from $REQ, else the default
  local line
  line=$(grep -E "^$1(\[[^]]*\])?==" "$REQ" 2>/dev/null | head -1 || true)
  printf '%s\n' "${line:-$1==$2}"
}
ensure_venv_tool() { # ensure_venv_tool BIN PACKAGE DEFAULT_VERSION
  [[ -x .venv/bin/$1 ]] && return 0
  mkdir -p .local
  exec 9>"$ROOT/.local/setup.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  if [[ ! -x .venv/bin/$1 ]]; then
    [[ -x .venv/bin/pip ]] || { log "creating .venv"; python3 -m venv .venv; }
    log "pip install $(pin "$2" "$3")"
    .venv/bin/pip install --disable-pip-version-check --quiet "$(pin "$2" "$3")"
  fi
  exec 9>&-
}
ensure_venv_tool cargo-lambda cargo-lambda 1.9.2
export PATH="$ROOT/.venv/bin:$PATH"
cargo lambda --version >/dev/null 2>&1 || die "cargo lambda does not run from .venv/bin"
if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  log "rustup target add aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi
[[ -d node_modules/aws-cdk-lib ]] || { log "npm ci"; npm ci --no-audit --no-fund --loglevel=error; }

# --- prebuild: the functions in groups, links two at a time ---------------------
# cargo-lambda-cdk's per-function builds then only copy each binary (see
# scripts/lib/prebuild-functions.sh). On a warm target this takes seconds.
# ORDERS_SYNTH_PREBUILD=0 skips it.
if [[ ${ORDERS_SYNTH_PREBUILD:-1} != 0 ]]; then
  start=$SECONDS
  scripts/lib/prebuild-functions.sh --arm64
  log "prebuild took $((SECONDS - start))s"
fi

# --- synth ----------------------------------------------------------------------
stages=("$@")
[[ ${#stages[@]} -gt 0 ]] || stages=(dev staging prod)
ctx=()
[[ $# -gt 0 ]] && ctx=(-c "stage=$(IFS=,; echo "${stages[*]}")")

log "cdk synth (${stages[*]}) — Rust builds run only for changed sources"
start=$SECONDS
nice -n 10 npx --no-install cdk synth --quiet "${ctx[@]}"
log "cdk synth took $((SECONDS - start))s"

# --- check: an arm64 bootstrap for every function of every stage ------------------
node - "${stages[@]}" <<'NODE'
const fs = require('fs');
const path = require('path');
const out = 'cdk.out';
let failures = 0;
for (const stage of process.argv.slice(2)) {
  const dir = path.join(out, `assembly-Orders-${stage}`);
  const templates = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')) : [];
  if (templates.length === 0) { console.error(`FAIL ${stage}: no template in ${dir}`); failures++; continue; }
  for (const tf of templates) {
    const template = JSON.parse(fs.readFileSync(path.join(dir, tf), 'utf8'));
    const assets = JSON.parse(fs.readFileSync(path.join(dir, tf.replace('.template.json', '.assets.json')), 'utf8'));
    // The Rust functions (provided.al2023); CDK's own custom-resource providers (Node.js) carry no bootstrap.
    const fns = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Runtime === 'provided.al2023');
    if (fns.length === 0) { console.error(`FAIL ${stage}: no Lambda function in ${tf}`); failures++; }
    for (const [id, fn] of fns) {
      const key = fn.Properties.Code && fn.Properties.Code.S3Key;
      const hash = typeof key === 'string' ? key.replace(/\.zip$/, '') : undefined;
      const asset = hash && assets.files[hash];
      const label = `${stage} ${id} (${fn.Properties.Description || ''})`;
      if (!asset) { console.error(`FAIL ${label}: no file asset for S3Key ${key}`); failures++; continue; }
      const bootstrap = path.join(dir, asset.source.path, 'bootstrap');
      if (!fs.existsSync(bootstrap)) { console.error(`FAIL ${label}: ${bootstrap} missing`); failures++; continue; }
      const h = Buffer.alloc(20);
      const fd = fs.openSync(bootstrap, 'r'); fs.readSync(fd, h, 0, 20, 0); fs.closeSync(fd);
      const elf = h.readUInt32BE(0) === 0x7f454c46;
      const is64 = h[4] === 2, little = h[5] === 1;
      const machine = little ? h.readUInt16LE(18) : h.readUInt16BE(18);
      if (!(elf && is64 && machine === 0xb7)) {
        console.error(`FAIL ${label}: ${bootstrap} is not an aarch64 ELF (machine 0x${machine.toString(16)})`); failures++; continue;
      }
      const mb = (fs.statSync(bootstrap).size / 1048576).toFixed(1);
      console.log(`ok   ${label}: ${path.normalize(bootstrap)} aarch64 ELF, ${mb} MB`);
    }
  }
}
if (failures) { console.error(`${failures} problem(s)`); process.exit(1); }
NODE
if command -v file >/dev/null 2>&1; then
  file -L cdk.out/asset.*/bootstrap | sed 's/^/synth: /' >&2
fi
