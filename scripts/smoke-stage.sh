#!/usr/bin/env bash
# Runs scripts/demo.sh (API only: every saga path to its terminal status)
# against a deployed stage, with the stage's own URL and API key read from
# AWS with the caller's credentials: the stack output ApiUrl of
# Orders-<stage>-Service, and the value of the usage-plan key its output
# ApiKeyId names. The deploy pipeline runs it after the dev deploy, with the
# dev deploy role (dev-smoke in .github/workflows/deploy.yml); a failure
# stops the promotion to staging.
#
#   scripts/smoke-stage.sh STAGE        (dev, staging or prod)
#
# Region: ORDERS_<STAGE>_REGION, else AWS_REGION / the CLI's default.
# Needs the AWS CLI and python3. Exit status: demo.sh's (0 all paths as
# expected), or 3 when the stage's URL or key cannot be read.
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${1:-}
case $stage in
  dev | staging | prod) ;;
  *) echo "usage: $0 dev|staging|prod" >&2; exit 3 ;;
esac
stack="Orders-$stage-Service"
region_var="ORDERS_${stage^^}_REGION"
region=${!region_var:-${AWS_REGION:-}}
region_args=()
[[ -n $region ]] && region_args=(--region "$region")

output() {
  aws cloudformation describe-stacks "${region_args[@]}" --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text
}
url=$(output ApiUrl) || { echo "smoke: cannot read the outputs of $stack" >&2; exit 3; }
key_id=$(output ApiKeyId)
if [[ -z $url || $url == None || -z $key_id || $key_id == None ]]; then
  echo "smoke: $stack has no ApiUrl / ApiKeyId output" >&2
  exit 3
fi
key=$(aws apigateway get-api-key "${region_args[@]}" --api-key "$key_id" --include-value --query value --output text) || {
  echo "smoke: cannot read the value of API key $key_id" >&2
  exit 3
}
# Never print the key (GitHub masks it in every later line of the log).
if [[ -n ${GITHUB_ACTIONS:-} ]]; then echo "::add-mask::$key"; fi
echo "smoke: $stack at $url (API key $key_id)"
DEMO_API_ONLY=1 exec scripts/demo.sh "$url" "$key"
