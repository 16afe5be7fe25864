#!/usr/bin/env bash
# The CI diff job: synthesizes the templates of BASE_REF (a worktree) and of
# the working tree, and renders the offline CDK diff as Markdown.
#
# Usage: scripts/ci-cdk-diff.sh BASE_REF [OUT_MD]
#   OUT_MD defaults to stdout; CI appends it to $GITHUB_STEP_SUMMARY.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 BASE_REF [OUT_MD]" >&2; exit 2; }
base_ref=$1
out_md=${2:-/dev/stdout}
work=.local/cdk-diff
rm -rf "$work"
mkdir -p "$work"
git worktree remove --force "$work/base-tree" >/dev/null 2>&1 || true
git worktree prune
git worktree add --detach "$work/base-tree" "$base_ref"
trap 'git worktree remove --force "$work/base-tree" >/dev/null 2>&1 || true' EXIT

if [[ -f "$work/base-tree/cdk.json" ]]; then
  scripts/npm-install.sh "$work/base-tree"
  scripts/synth-templates.sh "$work/base-tree" "$work/base.out"
else
  echo "ci-cdk-diff: $base_ref has no CDK app; diffing against an empty assembly" >&2
  mkdir -p "$work/base.out"
  echo '{"version":"0.0.0","artifacts":{}}' >"$work/base.out/manifest.json"
fi
scripts/synth-templates.sh . "$work/head.out"
node scripts/cdk-diff.mjs "$work/base.out" "$work/head.out" >"$out_md"
