#!/usr/bin/env bash
# Deploys the dev stage, synthesized for the emulator (-c emulator=true),
# into a fresh MiniStack on 127.0.0.1 with the project's own pinned CDK CLI,
# and exercises it: scripts/demo.sh against the deployed API (every saga
# path), then, through the emulator's APIs, each order's execution, the
# notifications notify-customer handled and the dead-letter queues.
# EventBridge Pipes are played by the pipe runner (scripts/emulator/emu.py),
# from the deployed pipes' own definitions (docs/deploy.md, "The emulator run").
#
#   scripts/emulator-e2e.sh           # run, then tear everything down (also on failure)
#   scripts/emulator-e2e.sh --keep    # on success leave it running; last line: API <url> KEY <key>
#   scripts/emulator-e2e.sh --down    # stop what a --keep run left running
#
# Nothing listens on or talks to a non-loopback address: the emulator binds
# 127.0.0.1 (checked with ss before use) and every client gets an explicit
# endpoint and fake credentials. The x86_64 release builds go to
# $CARGO_TARGET_DIR (default ./target); the assembly to cdk.out.emulator.
# State (pids, logs, port) lives in .local/emulator.
set -euo pipefail

# All in one function: bash parses it whole before running it, so editing
# this file during a run does not change the run.
main() {
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/.local/emulator
STACK=Orders-dev-Service
REGION=us-east-1
ACCOUNT=000000000000 # MiniStack's default account

log() { printf '\n==> [%s] emulator-e2e: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'emulator-e2e: error: %s\n' "$*" >&2; exit 1; }

mode=run
case ${1:-} in
  "") ;;
  --keep) mode=keep ;;
  --down) mode=down ;;
  -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
  *) die "unknown argument $1 (expected --keep or --down)" ;;
esac

# Stops the process groups this script started (their pids are in $STATE).
down() {
  local f pid left
  for f in "$STATE/pipes.pid" "$STATE/ministack.pid"; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      # Each was started with setsid: its group holds its children too (the emulator's Lambda processes).
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    # A process of its session in a process group of its own (none expected).
    for left in $(ps -o pid= --sid "$pid" 2>/dev/null); do kill -KILL "$left" 2>/dev/null || true; done
    rm -f "$f"
  done
}

if [[ $mode == down ]]; then
  down
  echo "emulator-e2e: stopped"
  exit 0
fi
if [[ -f $STATE/ministack.pid ]] && kill -0 "$(cat "$STATE/ministack.pid")" 2>/dev/null; then
  die "an emulator from an earlier run is still up (pid $(cat "$STATE/ministack.pid")): run $0 --down first"
fi

START=$SECONDS
CURRENT=""
DEPLOYED=0
step() { CURRENT=$1; log "$1"; }
finish() {
  local rc=$?
  set +e
  if ((rc != 0)); then
    printf '\nemulator-e2e: FAILED at step "%s" (exit %d) after %ds\n' "$CURRENT" "$rc" $((SECONDS - START)) >&2
    if [[ -f $STATE/ministack.log ]]; then
      echo "---- emulator log (last 60 lines of $STATE/ministack.log) ----" >&2
      tail -n 60 "$STATE/ministack.log" >&2
    fi
    if [[ $DEPLOYED == 1 ]]; then
      echo "---- the stack's log groups ----" >&2
      timeout 60 .venv/bin/python scripts/emulator/emu.py logs "$STACK" >&2
    fi
    if [[ -f $STATE/pipes.log ]]; then
      echo "---- pipe runner log (last 20 lines) ----" >&2
      tail -n 20 "$STATE/pipes.log" >&2
    fi
  fi
  if ((rc != 0)) || [[ $mode != keep ]]; then
    down
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$STATE"
mkdir -p "$STATE/tmp"

# --- tools ------------------------------------------------------------------------
step "tools: pinned ministack in .venv, the SDK module the stock seed needs"
REQ=scripts/requirements-tools.txt
pin=$(grep -E '^ministack==' "$REQ") || die "$REQ pins no ministack"
[[ -x .venv/bin/python ]] || bash scripts/setup.sh
want=${pin#ministack==}
have=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("ministack"))' 2>/dev/null || true)
if [[ $have != "$want" ]]; then
  # The same lock as scripts/setup.sh: never two pip installs at once.
  (
    exec 9>"$ROOT/.local/setup.lock"
    command -v flock >/dev/null && flock 9
    .venv/bin/pip install --disable-pip-version-check --quiet "$pin"
  )
fi
.venv/bin/python -c 'import boto3' || die ".venv has no boto3 (scripts/setup.sh installs it with moto)"
[[ -x node_modules/.bin/cdk ]] || bash scripts/npm-install.sh
# MiniStack runs Node.js custom resources with a stub AWS SDK unless a real
# module is on NODE_PATH; the stock seed's PutItem needs the real one.
NODE_DIR=scripts/emulator/node
want_node=$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$NODE_DIR/node_modules/.orders-stamp" 2>/dev/null || true)" != "$want_node" ]]; then
  npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error
  echo "$want_node" >"$NODE_DIR/node_modules/.orders-stamp"
fi
export PATH="$ROOT/.venv/bin:$ROOT/node_modules/.bin:$PATH"
cargo lambda --version >/dev/null || die "cargo lambda is missing from .venv (scripts/setup.sh)"

# --- emulator --------------------------------------------------------------------------
step "start MiniStack $want on 127.0.0.1"
PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "$PORT" >"$STATE/port"
# BIND_HOST: its default is 0.0.0.0. IOT_MTLS_ENABLED=0 / SFTP_ENABLED=0: no
# extra listeners (the IoT one binds 0.0.0.0:8883). AWS_ENDPOINT_URL: the
# emulator hands its own value to provided.al2023 functions, and sets none
# without it (the functions would call AWS). TMPDIR keeps its files here.
env -u AWS_PROFILE \
  GATEWAY_PORT="$PORT" BIND_HOST=127.0.0.1 MINISTACK_HOST=127.0.0.1 \
  AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" \
  IOT_MTLS_ENABLED=0 SFTP_ENABLED=0 MINISTACK_REGION=$REGION \
  NODE_PATH="$ROOT/$NODE_DIR/node_modules" TMPDIR="$STATE/tmp" \
  setsid .venv/bin/ministack >"$STATE/ministack.log" 2>&1 </dev/null &
echo $! >"$STATE/ministack.pid"
MS_PID=$(cat "$STATE/ministack.pid")
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
for _ in $(seq 120); do
  curl -fsS "$AWS_ENDPOINT_URL/_ministack/health" >/dev/null 2>&1 && break
  kill -0 "$MS_PID" 2>/dev/null || die "MiniStack exited during start-up"
  sleep 0.5
done
curl -fsS "$AWS_ENDPOINT_URL/_ministack/health" >/dev/null || die "MiniStack did not answer on $AWS_ENDPOINT_URL within 60 s"

# Every socket the processes of the emulator's session (it and the function
# processes it starts) and the pipe runner listen on, or are connected to,
# must be loopback.
check_sockets() {
  local pids listeners connections bad loopback='^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+$'
  local sessions=("$MS_PID")
  if [[ -f $STATE/pipes.pid ]]; then sessions+=("$(cat "$STATE/pipes.pid")"); fi
  pids=$(ps -o pid= --sid "$(IFS=,; echo "${sessions[*]}")" | tr -d ' ' | paste -sd'|')
  listeners=$(ss -Hltnup | grep -E "pid=($pids)," || true)
  connections=$(ss -Htunp state established | grep -E "pid=($pids)," || true)
  echo "sockets: $(grep -c . <<<"$listeners") listening, $(grep -c . <<<"$connections") connected, of $(tr '|' '\n' <<<"$pids" | grep -c .) processes" >&2
  bad=$(printf '%s\n' "$listeners" | awk -v re="$loopback" 'NF && $5 !~ re' || true)
  [[ -z $bad ]] || die "listening on a non-loopback address: $bad"
  bad=$(printf '%s\n' "$connections" | awk -v re="$loopback" 'NF && ($4 !~ re || $5 !~ re)' || true)
  [[ -z $bad ]] || die "connected to a non-loopback address: $bad"
  grep -q "127.0.0.1:$PORT " <<<"$listeners" || die "the emulator does not listen on 127.0.0.1:$PORT"
}
check_sockets

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION
unset AWS_PROFILE AWS_SESSION_TOKEN
export CDK_DEFAULT_ACCOUNT=$ACCOUNT CDK_DEFAULT_REGION=$REGION
# The CDK CLI must not phone home (notices, telemetry).
export CDK_DISABLE_CLI_TELEMETRY=true
CDK=(cdk --no-notices --no-version-reporting --output cdk.out.emulator)

# --- deploy --------------------------------------------------------------------------
# dev's own bootstrap: the stage synthesizes with its qualifier
# (CDK_QUALIFIERS in cdk/lib/deployment-target.ts; jest checks these two names).
step "cdk bootstrap aws://$ACCOUNT/$REGION (qualifier ordersdev)"
"${CDK[@]}" bootstrap "aws://$ACCOUNT/$REGION" -c stage=dev -c emulator=true \
  --qualifier ordersdev --toolkit-stack-name CDKToolkit-ordersdev

step "cdk deploy $STACK (-c stage=dev -c emulator=true: x86_64 release builds first)"
build_start=$SECONDS
# The per-function builds cdk synth then runs find each binary up to date.
scripts/lib/prebuild-functions.sh --x86-64
echo "x86_64 release build: $((SECONDS - build_start))s" >&2
deploy_start=$SECONDS
"${CDK[@]}" deploy -c stage=dev -c emulator=true 'Orders-dev/*' --require-approval never --progress events
DEPLOYED=1
echo "cdk deploy: $((SECONDS - deploy_start))s" >&2
check_sockets

# --- pipes ---------------------------------------------------------------------------
step "pipe runner: the deployed pipes' filters and templates, applied to the table's stream"
setsid .venv/bin/python scripts/emulator/emu.py pipes "$STACK" "$STATE/pipes.json" >"$STATE/pipes.log" 2>&1 </dev/null &
echo $! >"$STATE/pipes.pid"
for _ in $(seq 60); do
  grep -q '"ready": true' "$STATE/pipes.json" 2>/dev/null && break
  kill -0 "$(cat "$STATE/pipes.pid")" 2>/dev/null || { cat "$STATE/pipes.log" >&2; die "the pipe runner exited"; }
  sleep 0.5
done
grep -q '"ready": true' "$STATE/pipes.json" 2>/dev/null || die "the pipe runner did not start within 30 s"
grep -E '^emu: pipe ' "$STATE/pipes.log" >&2 || true

# --- demo ----------------------------------------------------------------------------
step "scripts/demo.sh against the deployed API"
read -r API_URL API_KEY < <(.venv/bin/python scripts/emulator/emu.py api "$STACK")
[[ -n $API_URL && -n $API_KEY ]] || die "no API URL or key from the stack"
echo "API $API_URL (usage-plan key read through the emulator's API Gateway API)" >&2
DEMO_API_ONLY=1 DEMO_TIMEOUT=${DEMO_TIMEOUT:-240} scripts/demo.sh "$API_URL" "$API_KEY" | tee "$STATE/demo.out"

step "executions, notifications and dead-letter queues, through the emulator's APIs"
.venv/bin/python scripts/emulator/emu.py check "$STACK" "$STATE/demo.out" "$STATE/pipes.json"
# Again, with every function's process up now.
check_sockets

CURRENT=""
log "all steps passed in $((SECONDS - START))s"
if [[ $mode == keep ]]; then
  echo "emulator-e2e: left running (pids in $STATE); stop with: $0 --down" >&2
  echo "API $API_URL KEY $API_KEY"
fi
}

main "$@"
