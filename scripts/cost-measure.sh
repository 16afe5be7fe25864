#!/usr/bin/env bash
# Counts what one order costs (docs/cost.md): runs orders-cost-measure
# (bench/cost-measure) against DynamoDB Local behind the recording proxy
# scripts/cost/ddb_proxy.py, all inside a private network namespace (DynamoDB
# Local binds every interface; see scripts/dynamodb-local-test.sh), and writes
# docs/cost/measured.json. The functions' log lines go to files whose growth
# per invocation is the log bytes.
#
#   scripts/cost-measure.sh [OUT.json]    # default docs/cost/measured.json
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/dynamodb-local.sh
source "$ROOT/scripts/lib/dynamodb-local.sh"
OUT="${1:-$ROOT/docs/cost/measured.json}"
PY="$ROOT/.venv/bin/python"; [[ -x "$PY" ]] || PY=python3

inside() {
  local logdir=$ROOT/.local/cost-measure
  ddb_local_start 8000 "$logdir/dynamodb-local.log"
  "$PY" "$ROOT/scripts/cost/ddb_proxy.py" 8001 8000 >"$logdir/proxy.log" 2>&1 &
  PROXY_PID=$!
  trap 'kill "$DDB_PID" "$PROXY_PID" 2>/dev/null || true; wait "$DDB_PID" "$PROXY_PID" 2>/dev/null || true' EXIT
  wait_port 8001 "$PROXY_PID" || { echo "the proxy did not start; see $logdir/proxy.log" >&2; return 1; }
  ORDERS_COST_PROXY=127.0.0.1:8001 ORDERS_COST_DYNAMODB=127.0.0.1:8000 RUST_LOG=info \
    STAGE=prod METRICS_NAMESPACE=Orders AWS_LAMBDA_FUNCTION_NAME=orders-cost-measure \
    "$ROOT/target/${ORDERS_COST_PROFILE:-release}/orders-cost-measure" "$OUT" >"$logdir/stdout.log" 2>"$logdir/stderr.log" || {
      echo "orders-cost-measure failed; see $logdir/stderr.log" >&2; tail -n 20 "$logdir/stderr.log" >&2; return 1; }
  echo "wrote $OUT (function logs in $logdir)"
}

if [[ "${1:-}" == "--inside" ]]; then
  shift
  OUT="$1"
  inside
  exit $?
fi

ddb_local_install
# Release build: the CPU per invocation is a release build's.
PROFILE="${ORDERS_COST_PROFILE:-release}"; [[ "$PROFILE" == debug || "$PROFILE" == release ]] || PROFILE=release
if [[ "$PROFILE" == release ]]; then cargo build --locked --release -p orders-cost-measure; else cargo build --locked -p orders-cost-measure; fi
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
ORDERS_COST_PROFILE="$PROFILE" netns_exec bash "$0" --inside "$OUT"
