#!/usr/bin/env bash
# make deploy / make delete: the stack thumbtack-partner-$STAGE with sam (build with cargo-lambda,
# then deploy), using infra/samconfig.toml and the AWS credentials of the environment.
#   ARCH=arm64 (default) or x86-64: the functions' architecture (the template's Architecture).
#   DEPLOY_S3_BUCKET: an existing bucket for the artifacts; unset, sam manages one (--resolve-s3).
#   PARAMETERS: more parameter overrides, e.g. "AlarmTopicArn=arn:aws:sns:..."
# make rehearse runs this very script against the emulator (scripts/rehearse.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
action="${1:-deploy}"
STAGE="${STAGE:-dev}"
ARCH="${ARCH:-arm64}"
stack="thumbtack-partner-$STAGE"
config=infra/samconfig.toml
case "$ARCH" in
  arm64) architecture=arm64 rust_target=aarch64-unknown-linux-gnu ;;
  x86-64) architecture=x86_64 rust_target=x86_64-unknown-linux-gnu ;;
  *) say "ARCH must be arm64 or x86-64"; exit 2 ;;
esac
ensure_tools sam cargo-lambda aws
case "$action" in
  deploy)
    rustup target list --installed | grep -qx "$rust_target" || rustup target add "$rust_target"
    sam build --config-file "$config" --parameter-overrides "Architecture=$architecture"
    deletion_protection=true
    case "$STAGE" in dev|test|sandbox*) deletion_protection=false ;; esac
    artifacts=(--resolve-s3)
    [ -n "${DEPLOY_S3_BUCKET:-}" ] && artifacts=(--s3-bucket "$DEPLOY_S3_BUCKET")
    sam deploy --config-file "$config" --stack-name "$stack" "${artifacts[@]}" \
      --parameter-overrides "Stage=$STAGE DeletionProtection=$deletion_protection Architecture=$architecture ${PARAMETERS:-}"
    aws cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table 2>/dev/null || true
    ;;
  delete)
    sam delete --config-file "$config" --stack-name "$stack" --no-prompts
    ;;
  *) say "usage: deploy.sh deploy|delete"; exit 2 ;;
esac
