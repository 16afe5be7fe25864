#!/usr/bin/env bash
# CI: `cdk diff` of one stage's service stack, deployed -> the given cloud
# assembly, as Markdown (for $GITHUB_STEP_SUMMARY). Needs AWS credentials that
# may read the stage's stack and template: the stage's deploy role (through
# its own bootstrap's lookup role) or the read-only diff role of
# Orders-account, which may assume no role and reads them itself (the CLI
# says it could not assume the lookup role and goes on with the caller's
# credentials). `--no-change-set`: a change set would need the deploy role.
#
# Usage: [DIFF_LABEL="commit abc123"] scripts/ci-stage-diff.sh STAGE ASSEMBLY_DIR >> "$GITHUB_STEP_SUMMARY"
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -eq 2 ]] || { echo "usage: $0 STAGE ASSEMBLY_DIR" >&2; exit 2; }
stage=$1
app=$2
case $stage in dev | staging | prod) ;; *) echo "ci-stage-diff: unknown stage $stage" >&2; exit 2 ;; esac
[[ -f $app/manifest.json ]] || { echo "ci-stage-diff: $app is not a cloud assembly" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# The CLI prints the diff on stderr; colours off for Markdown.
FORCE_COLOR=0 npx --no-install cdk diff --app "$app" --no-change-set --no-notices "Orders-$stage/Service" >"$out" 2>&1
echo "## cdk diff: Orders-$stage/Service, deployed -> ${DIFF_LABEL:-this assembly}"
echo
echo '```'
sed 's/\x1b\[[0-9;]*m//g' "$out"
echo '```'
