#!/usr/bin/env bash
# Load and invariants on the local host (docs/load.md): builds orders-local
# and orders-load with the `local` profile, then runs orders-load, which
# spawns orders-local on a fresh database on 127.0.0.1 and exits non-zero on
# any lost order, double charge or stock violation.
#
#   scripts/load.sh                      # 2,000 orders or 30 s, 16 clients
#   scripts/load.sh --orders 300 --duration 15
#   scripts/load.sh --url http://127.0.0.1:3000 --api-key KEY   # a running host
set -euo pipefail
cd "$(dirname "$0")/.."
nice cargo build --locked --profile local -p orders-local -p orders-load
exec target/local/orders-load --orders 2000 --duration 30 --concurrency 16 --settle-timeout 120 "$@"
