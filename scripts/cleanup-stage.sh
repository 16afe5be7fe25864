#!/usr/bin/env bash
# A stage's clean-up: what `cdk destroy` removes, what the stage retains
# (from the synthesized templates' DeletionPolicy and CloudFormation's record
# of the stack), and the removal of the retained resources after a typed
# confirmation (or --yes). docs/api-users.md, "Removing a stage".
#
#   scripts/cleanup-stage.sh STAGE [--dry-run] [--yes] [--templates CDK_OUT]
#                            [--region REGION] [--kms-pending-days N]
#   scripts/cleanup-stage.sh --help
#
# AWS credentials as for the CDK (the stage's account). Python with boto3 from
# .venv (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=$ROOT/.venv/bin/python
if [[ ! -x $PY ]] || ! "$PY" -c 'import boto3' 2>/dev/null; then
  echo "error: $PY with boto3 is needed: scripts/setup.sh" >&2
  exit 1
fi
exec "$PY" "$ROOT/scripts/cleanup_stage.py" "$@"
