#!/usr/bin/env bash
# Starts or stops a local moto server (AWS API mock) on 127.0.0.1.
#
#   scripts/moto.sh start   # prints the endpoint; writes .local/moto.endpoint and .local/moto.pid
#   scripts/moto.sh stop
#   scripts/moto.sh status
#
# Then, for example:
#   ORDERS_TEST_DYNAMODB_ENDPOINT=$(cat .local/moto.endpoint) ORDERS_REQUIRE_DYNAMODB=1 \
#     cargo test -p orders-contract-tests
#
# moto comes from .venv (created here from scripts/requirements-tools.txt when
# .venv/bin/moto_server is missing). It only ever listens on loopback.
# MOTO_STATE_DIR moves the pid, endpoint and log files out of .local (a
# second moto, inside a private network namespace: scripts/bench.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="${MOTO_STATE_DIR:-$ROOT/.local}"
PID_FILE="$STATE/moto.pid"
ENDPOINT_FILE="$STATE/moto.endpoint"
LOG_FILE="$STATE/moto.log"

ensure_moto() {
  if [[ -x "$VENV/bin/moto_server" ]]; then
    return
  fi
  echo "moto.sh: installing tools into $VENV" >&2
  mkdir -p "$STATE"
  # scripts/setup.sh installs into the same .venv: take its lock.
  exec 9>"$STATE/setup.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [[ -x "$VENV/bin/moto_server" ]]; then return; fi
  if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements-tools.txt"
}

free_port() {
  "$VENV/bin/python" - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

SERIALIZE_DYNAMODB='
import sys, threading
import moto.server as server

_lock = threading.Lock()
_run_simple = server.run_simple

def _run(host, port, app, **kwargs):
    def serialized(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            with _lock:
                return list(app(environ, start_response))
        return app(environ, start_response)
    return _run_simple(host, port, serialized, **kwargs)

server.run_simple = _run
sys.argv[0] = "moto_server"
server.main(sys.argv[1:])
'

is_running() {
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

start() {
  mkdir -p "$STATE"
  if is_running && [[ -f "$ENDPOINT_FILE" ]]; then
    echo "moto.sh: already running (pid $(cat "$PID_FILE"))" >&2
    cat "$ENDPOINT_FILE"
    return
  fi
  ensure_moto
  local port endpoint pid
  port="$(free_port)"
  endpoint="http://127.0.0.1:$port"
  # Dummy credentials: moto never checks them, and nothing here may reach AWS.
  # moto_server itself, started through a thin launcher (SERIALIZE_DYNAMODB
  # below) that makes DynamoDB requests take turns. moto checks a condition
  # and writes the item in separate steps with no lock, so two concurrent
  # TransactWriteItems / conditional PutItems on one key can both succeed:
  # the contract suite's "8 concurrent creates with one Idempotency-Key"
  # caught exactly that. Real DynamoDB (and DynamoDB Local) are atomic per
  # item; one request at a time restores that. Other services stay threaded.
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
    nohup "$VENV/bin/python" -c "$SERIALIZE_DYNAMODB" -H 127.0.0.1 -p "$port" >"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "moto.sh: moto_server exited; see $LOG_FILE" >&2
      tail -n 20 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/', timeout=1)" "$endpoint" 2>/dev/null; then
      echo "$endpoint" >"$ENDPOINT_FILE"
      echo "$endpoint"
      return
    fi
    sleep 0.2
  done
  echo "moto.sh: moto_server did not answer on $endpoint within 30 s" >&2
  kill "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  exit 1
}

stop() {
  if is_running; then
    local pid
    pid="$(cat "$PID_FILE")"
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    echo "moto.sh: stopped (pid $pid)" >&2
  else
    echo "moto.sh: not running" >&2
  fi
  rm -f "$PID_FILE" "$ENDPOINT_FILE"
}

case "${1:-}" in
  # Before a start where there is no network (a private namespace).
  install) ensure_moto ;;
  start) start ;;
  stop) stop ;;
  status)
    if is_running; then echo "running: $(cat "$ENDPOINT_FILE" 2>/dev/null) (pid $(cat "$PID_FILE"))"; else echo "not running"; exit 1; fi
    ;;
  *)
    echo "usage: $0 install|start|stop|status" >&2
    exit 2
    ;;
esac
