#!/usr/bin/env bash
# Installs node_modules exactly as package-lock.json pins them.
#
#   scripts/npm-install.sh [DIR]   (default: the repository root)
#
# `npm ci` first. The npm registry reachable from this project's machines
# carries only the linux builds of packages with per-platform optional
# dependencies (@swc/core, @unrs/resolver-binding, ...), so the lock file
# written here has no entries for the others and `npm ci` refuses it as "out of
# sync". Then `npm install` installs from the same lock (it resolves to the
# same versions); if it had to rewrite the lock, the original is put back so
# the tree stays clean, and a warning says so.
set -euo pipefail
dir=${1:-"$(dirname "$0")/.."}
cd "$dir"
[[ -f package-lock.json ]] || { echo "npm-install: $PWD has no package-lock.json" >&2; exit 1; }
if npm ci --no-audit --no-fund --loglevel=error 2>/tmp/npm-ci.$$.log; then
  rm -f /tmp/npm-ci.$$.log
  exit 0
fi
if ! grep -q 'EUSAGE' /tmp/npm-ci.$$.log; then
  cat /tmp/npm-ci.$$.log >&2
  rm -f /tmp/npm-ci.$$.log
  exit 1
fi
grep -m3 'Missing:' /tmp/npm-ci.$$.log >&2 || true
rm -f /tmp/npm-ci.$$.log
echo "npm-install: npm ci refused the lock file (platform entries missing); installing from it with npm install" >&2
cp package-lock.json /tmp/package-lock.$$.json
npm install --no-audit --no-fund --loglevel=error
if ! cmp -s package-lock.json /tmp/package-lock.$$.json; then
  echo "npm-install: warning: npm install rewrote package-lock.json; restoring the committed one" >&2
  cp /tmp/package-lock.$$.json package-lock.json
fi
rm -f /tmp/package-lock.$$.json
