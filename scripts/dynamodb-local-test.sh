#!/usr/bin/env bash
# Runs the DynamoDB half of the contract suite (tests/contract) against the
# real DynamoDB Local jar, inside a private network namespace together with
# the tests (scripts/lib/dynamodb-local.sh says why).
#
#   scripts/dynamodb-local-test.sh            # the DynamoDB contract tests
#   scripts/dynamodb-local-test.sh FILTER...  # other `cargo test` filters
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT=8000
# shellcheck source=lib/dynamodb-local.sh
source "$ROOT/scripts/lib/dynamodb-local.sh"

inside() {
  local log="$ROOT/.local/dynamodb-local.log" status=0
  ddb_local_start "$PORT" "$log"
  trap 'kill "$DDB_PID" 2>/dev/null || true; wait "$DDB_PID" 2>/dev/null || true' EXIT
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

ddb_local_install

# Build outside the namespace (it has no network for crates.io).
cargo test --locked -p orders-contract-tests --test contract --no-run

filters=("$@")
[[ ${#filters[@]} -gt 0 ]] || filters=(dynamodb)
netns_exec bash "$0" --inside "${filters[@]}"
