#!/usr/bin/env bash
# make deploy / make delete: the stack thumbtack-partner-$STAGE with sam (build with cargo-lambda,
# then deploy), using infra/samconfig.toml and the AWS credentials of the environment.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
action="${1:-deploy}"
STAGE="${STAGE:-dev}"
stack="thumbtack-partner-$STAGE"
ensure_venv
for tool in sam cargo-lambda; do
  if [ ! -x "$VENV/bin/$tool" ]; then
    say "setup: installing aws-sam-cli and cargo-lambda into .venv"
    "$VENV/bin/pip" install --quiet aws-sam-cli cargo-lambda
    break
  fi
done
export PATH="$VENV/bin:$PATH" SAM_CLI_TELEMETRY=0
case "$action" in
  deploy)
    rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
      || rustup target add aarch64-unknown-linux-gnu
    sam build --config-file infra/samconfig.toml
    deletion_protection=true
    case "$STAGE" in dev|test|sandbox*) deletion_protection=false ;; esac
    sam deploy --config-file infra/samconfig.toml --stack-name "$stack" \
      --parameter-overrides "Stage=$STAGE DeletionProtection=$deletion_protection ${PARAMETERS:-}"
    aws cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table 2>/dev/null || true
    ;;
  delete)
    sam delete --config-file infra/samconfig.toml --stack-name "$stack" --no-prompts
    ;;
  *) say "usage: deploy.sh deploy|delete"; exit 2 ;;
esac
