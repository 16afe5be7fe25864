#!/usr/bin/env bash
# Builds every Lambda function before `cdk synth` runs cargo-lambda-cdk's
# one-function builds (`cargo lambda build --release --bin X --package X`),
# so that those find each binary up to date and only copy it.
#
#   scripts/lib/prebuild-functions.sh --arm64 | --x86-64
#
# cargo-lambda-cdk builds the functions one after another, and each fat-LTO
# link keeps one core busy. Here one cargo invocation builds a whole group of
# functions, linking two at a time. The groups come from
# scripts/check-function-features.py --groups: functions whose dependency
# trees agree on every package they share, so building them together gives
# each the same features, and the same binary, as its own build.
set -euo pipefail
cd "$(dirname "$0")/../.."
case ${1:-} in
  --arm64) target=aarch64-unknown-linux-gnu ;;
  --x86-64) target=x86_64-unknown-linux-gnu ;;
  *) echo "usage: $0 --arm64 | --x86-64" >&2; exit 2 ;;
esac
python=python3
[[ -x .venv/bin/python ]] && python=.venv/bin/python
mapfile -t groups < <("$python" scripts/check-function-features.py --groups "$target")
[[ ${#groups[@]} -gt 0 ]] || { echo "prebuild: no function groups" >&2; exit 1; }
for group in "${groups[@]}"; do
  packages=()
  for f in $group; do packages+=(--package "$f"); done
  echo "prebuild ($1): $group" >&2
  nice -n 10 cargo lambda build --release "$1" "${packages[@]}"
done
