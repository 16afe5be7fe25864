#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run` execs this script):
#
#   setup -> static checks (fmt, workflows, OpenAPI, Postman, tsc) -> clippy ->
#   cargo tests (unit, contract against moto, e2e against the local host) ->
#   schemathesis and demo.sh against the local host -> DynamoDB Local contract run ->
#   stage clean-up against moto -> CDK tests -> arm64 synth -> packaged
#   bootstraps (each function's zip as cdk deploy makes it) -> cfn-lint ->
#   cdk deploy of dev into the AWS emulator (x86_64 builds) and every saga path
#
# Fails fast, on the first failing step, and always prints a summary of the
# steps with their durations. A step whose script is missing is a failure,
# never a silent skip (the one optional step, DynamoDB Local, says so).
#
# One target dir (./target, or $CARGO_TARGET_DIR) serves clippy, the tests
# and the arm64 release build cargo-lambda runs during synth.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Tools installed by setup.sh: cargo-lambda (+zig), cfn-lint, moto, the
# OpenAPI validator; node_modules/.bin for tsc/jest/cdk.
export PATH="$ROOT/.venv/bin:$ROOT/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
if [[ -n "${CI:-}" ]]; then
  # A CI build is a one-off: incremental caches only cost time and disk.
  export CARGO_INCREMENTAL=0
fi

STEP_NAMES=()
STEP_SECS=()
STEP_RESULTS=()
SUITE_START=$SECONDS
# Test runners' output is kept here so the summary can count the tests.
COUNTS_DIR=$(mktemp -d)
MOTO_STARTED=0
CURRENT_STEP=""

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary() {
  local rc=$1 i
  echo
  echo "================================================================"
  echo " test-all summary"
  echo "================================================================"
  for i in "${!STEP_NAMES[@]}"; do
    printf ' %-6s %8s  %s\n' "${STEP_RESULTS[$i]}" "$(fmt_secs "${STEP_SECS[$i]}")" "${STEP_NAMES[$i]}"
  done
  if [[ -n $CURRENT_STEP ]]; then
    printf ' %-6s %8s  %s\n' "FAIL" "-" "$CURRENT_STEP"
  fi
  printf ' total  %8s\n' "$(fmt_secs $((SECONDS - SUITE_START)))"
  if ((rc == 0)); then
    echo " result: all steps passed"
  else
    echo " result: FAILED (exit $rc)"
  fi
  test_counts
}

# Adds up what the Rust (nextest or cargo test) and CDK (jest) runners
# reported and prints it as one closing line.
test_counts() {
  local passed=0 failed=0 n f
  # Strip colour codes a terminal run may have left in the logs.
  for f in "$COUNTS_DIR"/*.log; do
    [[ -f $f ]] && sed -i 's/\x1b\[[0-9;]*m//g' "$f"
  done
  if [[ -f $COUNTS_DIR/cargo.log ]]; then
    # nextest: "Summary [...] 135 tests run: 135 passed, 1 skipped" /
    # "... 3 failed"; cargo test: "test result: ok. 12 passed; 0 failed; ..."
    n=$(grep -Eo '[0-9]+ tests run: [0-9]+ passed' "$COUNTS_DIR/cargo.log" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' | tail -n 1 || true)
    if [[ -n $n ]]; then
      passed=$((passed + n))
      n=$(grep -E '[0-9]+ tests run:' "$COUNTS_DIR/cargo.log" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' | tail -n 1 || true)
      failed=$((failed + ${n:-0}))
    else
      for n in $(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$COUNTS_DIR/cargo.log" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || true); do passed=$((passed + n)); done
      for n in $(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$COUNTS_DIR/cargo.log" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || true); do failed=$((failed + n)); done
    fi
  fi
  if [[ -f $COUNTS_DIR/jest.log ]]; then
    # jest: "Tests:       2 failed, 62 passed, 64 total"
    n=$(grep -E '^Tests:' "$COUNTS_DIR/jest.log" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' | tail -n 1 || true)
    passed=$((passed + ${n:-0}))
    n=$(grep -E '^Tests:' "$COUNTS_DIR/jest.log" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' | tail -n 1 || true)
    failed=$((failed + ${n:-0}))
  fi
  echo
  echo "tests: $passed passed, $failed failed"
  rm -rf "$COUNTS_DIR"
}

cleanup() {
  local rc=$?
  set +e
  if ((MOTO_STARTED)); then
    scripts/moto.sh stop >/dev/null 2>&1 || echo "warning: scripts/moto.sh stop failed" >&2
  fi
  summary "$rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step "name" command...: runs one step with a timed banner; stops the suite
# on failure (the EXIT trap prints the summary).
step() {
  local name=$1 start rc
  shift
  CURRENT_STEP=$name
  start=$SECONDS
  echo
  echo "================================================================"
  printf '==> [%s] %s   (at %s into the run)\n' "$(date -u +%H:%M:%S)" "$name" "$(fmt_secs $((start - SUITE_START)))"
  echo "    \$ $*"
  echo "================================================================"
  # A subshell with errexit, so a failing command inside a step function
  # fails the step (errexit is ignored in functions called from `if`/`||`).
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  STEP_NAMES+=("$name")
  STEP_SECS+=($((SECONDS - start)))
  CURRENT_STEP=""
  if ((rc != 0)); then
    STEP_RESULTS+=("FAIL")
    echo "<== $name FAILED (exit $rc) after $(fmt_secs $((SECONDS - start)))" >&2
    exit "$rc"
  fi
  STEP_RESULTS+=("ok")
  echo "<== $name ok ($(fmt_secs $((SECONDS - start))))"
}

# A script another part of the project owns; missing means the suite is broken.
require_script() {
  local s
  for s in "$@"; do
    if [[ ! -f $s ]]; then
      echo "error: required script $s is missing; the suite cannot run without it" >&2
      exit 1
    fi
  done
}

require_npm_script() {
  if ! node -e 'const s=require("./package.json").scripts||{}; process.exit(s[process.argv[1]]?0:1)' "$1"; then
    echo "error: package.json has no \"$1\" script" >&2
    exit 1
  fi
}

run_script() {
  local s=$1
  shift
  require_script "$s"
  bash "$s" "$@"
}

# --- steps ----------------------------------------------------------------------

start_moto() {
  require_script scripts/moto.sh
  bash scripts/moto.sh start
  if [[ ! -s .local/moto.endpoint ]]; then
    echo "error: scripts/moto.sh start did not write .local/moto.endpoint" >&2
    return 1
  fi
  echo "moto endpoint: $(cat .local/moto.endpoint)"
}

cargo_tests() {
  local endpoint
  endpoint=$(cat .local/moto.endpoint)
  # Dummy credentials for the SDK clients pointed at moto; never real ones.
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export ORDERS_TEST_DYNAMODB_ENDPOINT=$endpoint
  export ORDERS_REQUIRE_DYNAMODB=1
  # The same moto serves SQS, SNS and SES for orders-aws-messaging and orders-admin.
  export ORDERS_TEST_MOTO_ENDPOINT=$endpoint
  export ORDERS_REQUIRE_MOTO=1
  # The saga scenarios also run through the npm aws-local-stepfunctions
  # interpreter (scripts/asl-check.mjs, which validates the ASL with
  # asl-validator first); in CI that half must not be skipped.
  export ORDERS_REQUIRE_NODE=1
  # The status page's browser test (headless Chromium, playwright-core) must run.
  export ORDERS_REQUIRE_BROWSER=1
  # The crash test kills the real orders-local binary: build every binary
  # first (a no-op for the crates the tests already built).
  cargo build --workspace --bins --locked
  # The workspace has no doc tests, so nextest (which skips them) runs all.
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$COUNTS_DIR/cargo.log"
  else
    cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$COUNTS_DIR/cargo.log"
  fi
}

dynamodb_local() {
  local s=scripts/dynamodb-local-test.sh
  if [[ -x $s ]]; then
    "$s"
  else
    echo "skipped: $s does not exist or is not executable (optional step)"
  fi
}

cdk_tests() {
  require_npm_script test:cdk
  npm run --silent test:cdk 2>&1 | tee "$COUNTS_DIR/jest.log"
}

typecheck() {
  [[ -f tsconfig.json ]] || { echo "error: tsconfig.json is missing" >&2; return 1; }
  npx --no-install tsc --noEmit -p tsconfig.json
}

openapi() {
  [[ -f contracts/openapi.yaml ]] || { echo "error: contracts/openapi.yaml is missing" >&2; return 1; }
  .venv/bin/openapi-spec-validator contracts/openapi.yaml
  .venv/bin/python scripts/check-openapi.py contracts/openapi.yaml
}

# postman/ is generated from contracts/openapi.yaml: regenerate and compare.
postman_check() {
  require_script scripts/postman.mjs
  require_npm_script postman:check
  npm run --silent postman:check
}

# Everything a later step needs is checked for up front, so a missing piece
# fails in seconds rather than after the Rust build.
preflight() {
  require_script scripts/setup.sh scripts/moto.sh scripts/synth.sh scripts/cfn-lint.sh \
    scripts/lint-workflows.sh scripts/check-openapi.py scripts/schemathesis.sh scripts/schemathesis.toml \
    scripts/postman.mjs scripts/local-host.sh scripts/demo.sh scripts/demo.py scripts/demo-test.sh \
    scripts/cleanup-stage.sh scripts/cleanup_stage.py scripts/cleanup-stage-test.sh scripts/cleanup_stage_test.py \
    scripts/check-packaged-bootstraps.sh scripts/emulator-e2e.sh scripts/emulator/emu.py scripts/bench.sh
  [[ -f package.json ]] || { echo "error: package.json is missing" >&2; return 1; }
  require_npm_script test:cdk
  require_npm_script postman:check
  echo "all required scripts are present"
}

step "preflight" preflight
step "setup (toolchains, .venv, node_modules)" run_script scripts/setup.sh
step "cargo fmt --check" cargo fmt --all -- --check
step "lint GitHub workflows (actionlint)" run_script scripts/lint-workflows.sh
step "validate contracts/openapi.yaml" openapi
step "Postman collection current with contracts/openapi.yaml" postman_check
step "cost per million orders (scripts/cost.py on docs/cost/*.json)" .venv/bin/python -m unittest discover -s scripts/cost
step "emulator pipe runner rules (scripts/emulator/test_pipe_rules.py)" .venv/bin/python -m unittest discover -s scripts/emulator
step "tsc --noEmit" typecheck
# Each function is built as its own package; a dependency whose features
# differ between functions would be compiled once per feature set.
step "functions share one feature set per dependency" .venv/bin/python scripts/check-function-features.py
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings
MOTO_STARTED=1 # from here on the EXIT trap stops it, whatever happens
step "start moto (DynamoDB/SQS/SNS/SFN)" start_moto
step "cargo tests (unit, contract vs moto, e2e)" cargo_tests
step "stop moto" bash scripts/moto.sh stop
MOTO_STARTED=0
# The OpenAPI contract against the local host (target/debug/orders-local,
# built by the cargo step): all checks, stateful links, fixed seed, bounded.
step "schemathesis vs the local host (contracts/openapi.yaml)" run_script scripts/schemathesis.sh
# scripts/demo.sh against the local host: every path to its terminal status.
step "demo.sh vs the local host (every saga path)" run_script scripts/demo-test.sh
step "DynamoDB Local contract run" dynamodb_local
# The side-by-side cold-start benchmark end to end, plain and over TLS, so
# it cannot rot: two rounds of the test step's debug builds, no figure judged.
step "peers benchmark smoke, plain and over TLS (scripts/bench.sh --smoke)" run_script scripts/bench.sh --only peers --dynamodb-local --tls --smoke
# The stage clean-up against its own moto on 127.0.0.1 (stacks from the templates).
step "cleanup-stage.sh vs moto (retained resources)" run_script scripts/cleanup-stage-test.sh
step "CDK tests (jest, cdk-nag)" cdk_tests
step "cdk synth (arm64 release builds)" run_script scripts/synth.sh
# What `cdk deploy` would upload: each function's asset zipped by the CLI's
# packager must hold a bootstrap with mode 0755 (Runtime.InvalidEntrypoint otherwise).
step "packaged function zips hold an executable bootstrap (as cdk deploy zips them)" run_script scripts/check-packaged-bootstraps.sh cdk.out
step "cfn-lint synthesized templates" run_script scripts/cfn-lint.sh
# The dev stage deployed into a local AWS emulator (MiniStack on 127.0.0.1)
# with cdk bootstrap and cdk deploy, then every saga path through the
# deployed API (docs/deploy.md, "The emulator run").
step "cdk deploy of the dev stage into the AWS emulator, every saga path" run_script scripts/emulator-e2e.sh
