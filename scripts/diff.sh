#!/usr/bin/env bash
# `npm run diff:<stage>`: the offline `cdk diff` of one stage against a base
# template, without building Rust. The CDK CLI bundles assets for `diff`
# (it sets aws:cdk:bundling-stacks to every stack, and a `-c` cannot change
# that), so the app is synthesized here with bundling skipped
# (scripts/synth-templates.sh) and the CLI diffs that cloud assembly
# (`--app <dir>`: it does not run the app again). The templates are those of a
# full synth: function assets carry a source hash, not a build hash.
#
# Usage: BASE_TEMPLATE=base.json scripts/diff.sh STAGE [extra cdk diff args]
#   base.json: the template of the last deploy, or one saved from main
#   (cdk.out/assembly-Orders-<stage>/Orders<stage>Service*.template.json).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: BASE_TEMPLATE=base.json $0 STAGE [cdk diff args...]" >&2; exit 2; }
stage=$1
shift
case $stage in dev | staging | prod) ;; *) echo "diff: unknown stage $stage (dev, staging, prod)" >&2; exit 2 ;; esac
base=${BASE_TEMPLATE:?set BASE_TEMPLATE to the deployed/base template JSON}
[[ -f $base ]] || { echo "diff: BASE_TEMPLATE $base is not a file" >&2; exit 2; }
out=.local/diff/$stage.out
scripts/synth-templates.sh . "$out" "$stage" >&2
# No telemetry, no notices: nothing leaves the machine.
export CDK_DISABLE_CLI_TELEMETRY=true
exec npx --no-install cdk diff --app "$out" --no-notices --template "$base" "$@" "Orders-$stage/Service"
