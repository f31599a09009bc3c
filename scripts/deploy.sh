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
# Throwaway stages lose their data with the stack. Every other stage is durable: its table,
# secrets, queues and log groups outlive the stack (StageKind), and the stack is protected from
# deletion.
stage_kind=durable
case "$STAGE" in dev|test|sandbox*) stage_kind=throwaway ;; esac
if [ "$action" = deploy ] && [ "$stage_kind" = durable ] \
  && ! [[ " ${PARAMETERS:-} " =~ [[:space:]]AlarmTopicArn=arn: ]]; then
  # The template's rule would refuse it too, but only after the build and the upload.
  say "deploy: $STAGE is a durable stage (not dev, test or sandbox*): its alarms need an SNS"
  say "topic. Add PARAMETERS=\"AlarmTopicArn=arn:aws:sns:<region>:<account>:<topic> ...\"."
  exit 2
fi
ensure_tools sam cargo-lambda aws
case "$action" in
  deploy)
    rustup target list --installed | grep -qx "$rust_target" || rustup target add "$rust_target"
    sam build --config-file "$config" --parameter-overrides "Architecture=$architecture"
    deletion_protection=true
    [ "$stage_kind" = throwaway ] && deletion_protection=false
    artifacts=(--resolve-s3)
    [ -n "${DEPLOY_S3_BUCKET:-}" ] && artifacts=(--s3-bucket "$DEPLOY_S3_BUCKET")
    sam deploy --config-file "$config" --stack-name "$stack" "${artifacts[@]}" \
      --parameter-overrides "Stage=$STAGE StageKind=$stage_kind DeletionProtection=$deletion_protection Architecture=$architecture ${PARAMETERS:-}"
    if [ "$stage_kind" = durable ]; then
      aws cloudformation update-termination-protection --enable-termination-protection \
        --stack-name "$stack" >/dev/null
      say "deploy: $stack is protected from deletion (make delete says how to lift it)"
    fi
    aws cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table 2>/dev/null || true
    ;;
  delete)
    protected=$(aws cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].EnableTerminationProtection' --output text 2>/dev/null || echo False)
    if [ "$protected" = True ]; then
      cat >&2 <<EOF
delete: $stack is protected from deletion (a durable stage). Deleting the stack keeps its
table, secrets, queues (parked and unsent replies among them) and log groups; delete those by hand
afterwards if they must go too (the table's own deletion protection first:
PARAMETERS="DeletionProtection=false" make deploy STAGE=$STAGE). To delete the stack:
  aws cloudformation update-termination-protection --no-enable-termination-protection \\
    --stack-name $stack
  make delete STAGE=$STAGE
EOF
      exit 1
    fi
    sam delete --config-file "$config" --stack-name "$stack" --no-prompts
    ;;
  *) say "usage: deploy.sh deploy|delete"; exit 2 ;;
esac
