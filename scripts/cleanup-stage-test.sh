#!/usr/bin/env bash
# scripts/cleanup-stage.sh against moto on 127.0.0.1, as CI runs it: a
# template-only synth of every stage (no Rust build), then
# scripts/cleanup_stage_test.py with stacks created in moto from those
# templates (docs/api-users.md, "Removing a stage").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
bash scripts/synth-templates.sh . "$OUT" dev,staging,prod >/dev/null
.venv/bin/python scripts/cleanup_stage_test.py "$OUT"
