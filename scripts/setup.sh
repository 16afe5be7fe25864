#!/usr/bin/env bash
# Installs everything the build and the test suite need, from the package
# registries only (crates.io / rustup, PyPI, npm). Idempotent and cheap to
# re-run: each install is skipped while a stamp says it is up to date.
#
#   Rust   : rustfmt + clippy, the aarch64-unknown-linux-gnu std (arm64 Lambdas)
#   Python : .venv from scripts/requirements-tools.txt (cargo-lambda + zig,
#            cfn-lint, moto[server], openapi-spec-validator)
#   Node   : node_modules from package-lock.json (scripts/npm-install.sh: npm ci)
#   Browser: Debian's chromium (apt-get), for the status page's browser test
#
# Expects on the machine: rustup with a stable toolchain, node 20 or newer +
# npm (the workflows run the Node of .nvmrc), python3 (3.11), java 17
# (DynamoDB Local).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (${2:-required})"; }

hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

# Other scripts (moto.sh, a second terminal) may run setup at the same time:
# serialise on one lock so two pip/npm installs never interleave.
mkdir -p .local
exec 9>"$ROOT/.local/setup.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

# --- Rust -------------------------------------------------------------------
need cargo "install rustup with a stable toolchain"
need rustup "install rustup with a stable toolchain"
installed_components=$(rustup component list --installed 2>/dev/null || true)
for c in rustfmt clippy; do
  if ! grep -q "^$c" <<<"$installed_components"; then
    log "rustup component add $c"
    rustup component add "$c"
  fi
done
if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  log "rustup target add aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi

# --- Python tools (.venv) -----------------------------------------------------
need python3 "python 3.11"
REQ=scripts/requirements-tools.txt
[[ -f $REQ ]] || die "$REQ is missing"
py_version=$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
want_py=$( { hash_files "$REQ"; echo "$py_version"; } | sha256sum | cut -d' ' -f1)
py_stamp=.venv/.requirements-tools.sha256
if [[ ! -x .venv/bin/python ]] || [[ ! -x .venv/bin/pip ]]; then
  log "creating .venv (python $py_version)"
  rm -rf .venv
  python3 -m venv .venv
fi
if [[ "$(cat "$py_stamp" 2>/dev/null || true)" != "$want_py" ]]; then
  log "pip install -r $REQ"
  .venv/bin/pip install --disable-pip-version-check --quiet -r "$REQ"
  echo "$want_py" >"$py_stamp"
else
  log ".venv is up to date with $REQ"
fi
for tool in cargo-lambda cfn-lint moto_server openapi-spec-validator; do
  [[ -x .venv/bin/$tool ]] || die ".venv/bin/$tool is missing after pip install"
done

# --- Node (node_modules) ------------------------------------------------------
need node "node 20"
need npm "npm"
if [[ -f package-lock.json ]]; then
  want_npm=$( { hash_files package.json package-lock.json; node --version; } | sha256sum | cut -d' ' -f1)
  npm_stamp=node_modules/.orders-setup.sha256
  if [[ "$(cat "$npm_stamp" 2>/dev/null || true)" != "$want_npm" ]]; then
    log "installing node_modules from package-lock.json"
    scripts/npm-install.sh
    echo "$want_npm" >"$npm_stamp"
  else
    log "node_modules is up to date with package-lock.json"
  fi
else
  die "package-lock.json is missing (the CDK app's pinned toolchain)"
fi

# --- Browser (the status page's test) -------------------------------------------
# Headless Chromium from Debian's package, driven by npm playwright-core with
# executablePath (a test tool's own browser download fails on these machines).
# ORDERS_CHROMIUM names another binary; ORDERS_SKIP_BROWSER=1 skips the install.
if [[ -z ${ORDERS_CHROMIUM:-} && ${ORDERS_SKIP_BROWSER:-0} != 1 && ! -x /usr/bin/chromium ]]; then
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
    log "apt-get install chromium (headless browser for the status page test)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium >/dev/null ||
      { apt-get update -qq >/dev/null && apt-get install -y --no-install-recommends chromium >/dev/null; } ||
      die "apt-get install chromium failed"
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    log "sudo apt-get install chromium (headless browser for the status page test)"
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null ||
      die "apt-get install chromium failed"
  else
    log "chromium not installed and apt-get unavailable: the browser test will be skipped locally"
  fi
fi

# --- Optional accelerators ------------------------------------------------------
if ! cargo nextest --version >/dev/null 2>&1; then
  log "cargo-nextest not found: scripts/test-all.sh falls back to cargo test"
fi
if ! command -v java >/dev/null 2>&1; then
  log "java not found: DynamoDB Local tests (scripts/dynamodb-local-test.sh) need Java 17"
fi

log "ok"
