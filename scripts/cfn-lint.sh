#!/usr/bin/env bash
# Lints every synthesized CloudFormation template (top-level and the nested
# assemblies of the Stages, cdk.out/assembly-Orders-*/) with cfn-lint from
# .venv. Fails on errors only: warnings such as CDK's own W3005 (redundant
# DependsOn) are reported but do not fail.
#
#   scripts/cfn-lint.sh            # lint cdk.out (run `npm run synth` first)
#   scripts/cfn-lint.sh OUTDIR     # lint another cloud assembly directory
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${1:-cdk.out}
REQ=scripts/requirements-tools.txt

if [[ ! -x .venv/bin/cfn-lint ]]; then
  mkdir -p .local
  exec 9>"$ROOT/.local/setup.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  if [[ ! -x .venv/bin/cfn-lint ]]; then
    [[ -x .venv/bin/pip ]] || python3 -m venv .venv
    spec=$(grep -E '^cfn-lint==' "$REQ" 2>/dev/null | head -1 || true)
    .venv/bin/pip install --disable-pip-version-check --quiet "${spec:-cfn-lint==1.58.0}"
  fi
  exec 9>&-
fi

shopt -s nullglob
templates=("$OUT"/*.template.json "$OUT"/assembly-*/*.template.json)
[[ ${#templates[@]} -gt 0 ]] || { echo "cfn-lint: no templates in $OUT (run npm run synth first)" >&2; exit 1; }
echo "cfn-lint $(.venv/bin/cfn-lint --version 2>&1 | awk '{print $NF}') on ${#templates[@]} template(s)" >&2
.venv/bin/cfn-lint --non-zero-exit-code error -- "${templates[@]}"
echo "cfn-lint: no errors" >&2
