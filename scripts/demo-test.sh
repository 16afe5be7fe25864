#!/usr/bin/env bash
# scripts/demo.sh against the local host (target/debug/orders-local with fast
# retry waits), as CI runs it:
#   1. the local mode: exit 0, one "ok" row per path with its status, reason
#      and payment, and no UNEXPECTED row;
#   2. the public-API-only mode a stage gets (DEMO_API_ONLY=1): exit 0, the
#      same rows, and no /local column values;
#   3. a host without its pipeline (orders stay PENDING): exit 2 with the
#      timeout message, after DEMO_TIMEOUT seconds, not forever.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/local-host.sh
source scripts/local-host.sh

OUT=$(mktemp)
ERR=$(mktemp)
trap 'stop_local_host; rm -f "$OUT" "$ERR"' EXIT
fail() {
  echo "demo-test: FAIL: $*" >&2
  echo "--- demo.sh stdout ---" >&2
  cat "$OUT" >&2
  echo "--- demo.sh stderr ---" >&2
  cat "$ERR" >&2
  [[ -n ${HOST_LOG:-} && -f $HOST_LOG ]] && { echo "--- host log (last 30 lines) ---" >&2; tail -n 30 "$HOST_LOG" >&2; }
  exit 1
}

# run_demo EXPECTED_RC [VAR=value...]: runs demo.sh against the host.
run_demo() {
  local want=$1 rc=0
  shift
  env "$@" bash scripts/demo.sh "$HOST_URL" "$HOST_KEY" >"$OUT" 2>"$ERR" || rc=$?
  cat "$OUT"
  ((rc == want)) || fail "demo.sh exited $rc, expected $want"
}

# expect_row PATH REGEX: the row of PATH matches REGEX (columns as printed).
expect_row() {
  grep -E "^$1  " "$OUT" | grep -Eq "$2" || fail "no row '$1' matching /$2/"
}

expect_paths() {
  expect_row complete 'COMPLETED +- +29\.98 USD .* ok$'
  expect_row declined 'FAILED +PAYMENT_DECLINED \(payment declined: card_declined\) +49\.50 USD .* ok$'
  expect_row 'out of stock' 'FAILED +OUT_OF_STOCK \(out of stock: demo-unstocked-sku\) +30\.00 USD .* ok$'
  expect_row cancelled 'CANCELLED +- +4\.99 USD .* ok$'
  grep -q 'UNEXPECTED' "$OUT" && fail "a row is UNEXPECTED"
  grep -qx 'all 4 paths ended as expected' "$OUT" || fail "no closing line"
}

echo "== demo.sh, local mode"
start_local_host --retry-wait-scale 0.01
run_demo 0
grep -q '(local host: payments and saga from /local)' "$OUT" || fail "the local host was not detected"
expect_paths
expect_row complete 'CHARGED 29\.98 +SUCCEEDED +ok$'
expect_row declined 'DECLINED 49\.50 \(card_declined\) +SUCCEEDED +ok$'
expect_row 'out of stock' 'REFUNDED 30\.00, refund 30\.00 +SUCCEEDED +ok$'
expect_row cancelled 'none +none +ok$'

echo "== demo.sh, public API only (as on a stage)"
run_demo 0 DEMO_API_ONLY=1
grep -q '(public API only)' "$OUT" || fail "DEMO_API_ONLY=1 still used /local"
expect_paths
grep -q 'CHARGED\|SUCCEEDED' "$OUT" && fail "the public-API run shows /local data"

echo "== demo.sh against a host without its pipeline: bounded wait"
start_local_host --no-pipeline
start=$SECONDS
run_demo 2 DEMO_TIMEOUT=3
grep -q 'timed out after 3 s waiting for a terminal status: complete ' "$ERR" || fail "no timeout message"
((SECONDS - start < 30)) || fail "the timeout took $((SECONDS - start)) s"
expect_row complete 'PENDING'
echo "demo-test: 3 scenarios passed"
