# Sourced by the scripts that run something against the local host
# (schemathesis.sh, demo-test.sh): starts target/debug/orders-local (or
# $ORDERS_LOCAL_BIN) on a free 127.0.0.1 port with a temporary database and a
# known API key, and stops it again.
#
#   source scripts/local-host.sh
#   start_local_host [orders-local flags...]   # sets HOST_URL, HOST_KEY, HOST_LOG
#   stop_local_host                            # also run by the EXIT trap it sets
#
# Needs .venv/bin/python (for the free port and the key) and curl.

HOST_BIN=${ORDERS_LOCAL_BIN:-target/debug/orders-local}
HOST_PID=""
HOST_WORK=""

stop_local_host() {
  if [[ -n $HOST_PID ]] && kill -0 "$HOST_PID" 2>/dev/null; then
    kill "$HOST_PID" 2>/dev/null || true
    wait "$HOST_PID" 2>/dev/null || true
  fi
  HOST_PID=""
  if [[ -n $HOST_WORK ]]; then rm -rf "$HOST_WORK"; fi
  HOST_WORK=""
}

start_local_host() {
  local port _
  if [[ ! -x $HOST_BIN ]]; then
    echo "error: $HOST_BIN is missing: cargo build -p orders-local (test-all builds every binary)" >&2
    return 1
  fi
  stop_local_host
  trap stop_local_host EXIT
  HOST_WORK=$(mktemp -d)
  port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  HOST_KEY="local-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
  HOST_URL="http://127.0.0.1:$port"
  HOST_LOG=$HOST_WORK/host.log
  "$HOST_BIN" --port "$port" --db "$HOST_WORK/orders.db" --api-key "$HOST_KEY" "$@" \
    >"$HOST_WORK/host.out" 2>"$HOST_LOG" &
  HOST_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS "$HOST_URL/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$HOST_PID" 2>/dev/null; then
      echo "error: orders-local exited:" >&2
      cat "$HOST_LOG" >&2
      return 1
    fi
    sleep 0.1
  done
  curl -fsS "$HOST_URL/health" >/dev/null
}
