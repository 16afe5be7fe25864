#!/usr/bin/env bash
# Packages every Rust function's asset of a synthesized cloud assembly the
# way `cdk deploy` does (cdk-assets-lib, the library the CDK CLI bundles) and
# fails unless each zip holds a `bootstrap` with unix mode 0755. Without the
# execute bit Lambda fails every invocation (Runtime.InvalidEntrypoint).
#
#   scripts/check-packaged-bootstraps.sh [CDK_OUT]   (default: cdk.out)
#
# Run after `scripts/synth.sh` (test-all.sh) and on the downloaded assembly
# before each deploy (deploy-stage.yml). Writes the zips to CDK_OUT/.cache
# (per stage assembly), where `cdk deploy` finds and uploads them.
# Exit 0: all executable; 1: a problem; 2: not a cloud assembly.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-cdk.out}
[[ -f $dir/manifest.json ]] || { echo "check-packaged-bootstraps: $dir is not a cloud assembly (no manifest.json); run scripts/synth.sh first" >&2; exit 2; }
exec npx --no-install tsx cdk/tools/check-packaged-bootstraps.ts "$dir"
