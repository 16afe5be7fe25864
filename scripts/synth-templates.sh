#!/usr/bin/env bash
# Template-only synth, for diffs: runs the CDK app of a source tree directly
# (the `app` command of its cdk.json, with its cdk.json context) and skips
# asset bundling (context aws:cdk:bundling-stacks = []), so no Rust is built.
# The templates are the same as a full `cdk synth`: function assets use a
# custom hash over the sources, not a hash of the built bootstrap.
#
# Usage: scripts/synth-templates.sh SOURCE_TREE OUT_DIR [STAGES]
#   e.g. scripts/synth-templates.sh . .local/diff/head
#   STAGES (e.g. `dev` or `dev,prod`) sets the `stage` context; default: all.
# SOURCE_TREE needs its node_modules installed (npm ci).
set -euo pipefail
[[ $# -eq 2 || $# -eq 3 ]] || { echo "usage: $0 SOURCE_TREE OUT_DIR [STAGES]" >&2; exit 2; }
export SYNTH_STAGES=${3:-}
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
cd "$src"
[[ -f cdk.json ]] || { echo "synth-templates: $src has no cdk.json" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
app=$(node -e 'process.stdout.write(require("./cdk.json").app)')
CDK_CONTEXT_JSON=$(node -e '
  const ctx = require("./cdk.json").context || {};
  ctx["aws:cdk:bundling-stacks"] = [];
  if (process.env.SYNTH_STAGES) ctx.stage = process.env.SYNTH_STAGES;
  process.stdout.write(JSON.stringify(ctx));
')
export CDK_CONTEXT_JSON
export CDK_OUTDIR=$out
# Offline: no account lookups; the stage config falls back to its default region.
unset CDK_DEFAULT_ACCOUNT
echo "synth-templates: $src -> $out ($app)"
bash -c "$app"
