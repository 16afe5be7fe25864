#!/usr/bin/env bash
# Places orders down every path (complete, declined, out of stock with a
# refund, cancelled), waits for each to reach its terminal status and prints
# a table of what happened. Works against the local host and a deployed stage.
#
#   scripts/demo.sh URL KEY
#   scripts/demo.sh http://127.0.0.1:3000 "$(cat .orders-local/api-key)"
#   scripts/demo.sh "$API_URL" "$API_KEY"      # a stage: ApiUrl output, its key
#
# DEMO_TIMEOUT (seconds, default 180) bounds the wait; DEMO_CANCEL_ATTEMPTS
# (default 10) how many orders the cancelled path may place (docs/api-users.md).
# Exit 0 only when every path ended as expected (1: one did not, 2: timed
# out, 3: usage or connection error). Needs python3 (standard library only).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -ne 2 ]]; then
  echo "usage: $0 URL KEY   (e.g. $0 http://127.0.0.1:3000 \"\$(cat .orders-local/api-key)\")" >&2
  exit 3
fi
PY=$(command -v python3 || true)
if [[ -z $PY && -x $ROOT/.venv/bin/python ]]; then PY=$ROOT/.venv/bin/python; fi
if [[ -z $PY ]]; then
  echo "error: python3 is needed (standard library only)" >&2
  exit 3
fi
exec "$PY" "$ROOT/scripts/demo.py" "$1" "$2"
