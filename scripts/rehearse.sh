#!/usr/bin/env bash
# make rehearse: `make deploy` for real, against the emulator's S3 and CloudFormation instead of
# AWS: scripts/deploy.sh itself (sam build with cargo-lambda, sam deploy with infra/samconfig.toml)
# deploys a throwaway stage, then scripts/check_artifacts.py reads back the template CloudFormation
# received and every uploaded function artifact: a zip with an executable bootstrap at its root,
# an ELF for the architecture the template declares, under 10 MB. The emulator's CloudFormation
# creates nothing real, so the artifacts and the template are what is checked, not the stack.
#
# arm64 needs the rustup target aarch64-unknown-linux-gnu, fetched from static.rust-lang.org; where
# that cannot be reached (a CI without it), the rehearsal builds for x86_64 and says so loudly:
# the template's Architecture parameter makes the check compare each binary with what is declared.
# ARCH=x86-64 make rehearse asks for that architecture outright.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Unique names: the emulator may be shared with tests and other rehearsals.
run="r$(date +%s)$$"
stage="sandbox-${run:0:12}"
bucket="thumbtack-rehearsal-$run"
cleanup() {
  if [ -n "${AWS_ENDPOINT_URL:-}" ] && [ -x "$VENV/bin/aws" ]; then
    "$VENV/bin/aws" cloudformation delete-stack --stack-name "thumbtack-partner-$stage" >/dev/null 2>&1 || true
    "$VENV/bin/aws" s3 rb "s3://$bucket" --force >/dev/null 2>&1 || true
  fi
  stop_started
}
trap cleanup EXIT
started=$SECONDS
use_emulator
ensure_tools sam cargo-lambda aws

# moto takes the template's bucket from the URL path only when the host is "localhost" (sam
# uploads the template and passes its URL): the same emulator, named so.
port="${AWS_ENDPOINT_URL##*:}"
port="${port%%/*}"
export AWS_ENDPOINT_URL="http://localhost:$port" AWS_DEFAULT_REGION="$AWS_REGION"

ARCH="${ARCH:-arm64}"
fallback=""
if [ "$ARCH" = arm64 ] && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  say "rehearse: adding the rustup target aarch64-unknown-linux-gnu (at most 120 s)"
  if ! timeout 120 rustup target add aarch64-unknown-linux-gnu; then
    ARCH=x86-64
    fallback="(FALLBACK: x86_64, the arm64 build was NOT rehearsed: no aarch64 rustup target)"
    say ""
    say "################################################################################"
    say "# REHEARSAL ON x86_64, NOT arm64: the rustup target aarch64-unknown-linux-gnu   #"
    say "# could not be installed here. The deploy is rehearsed with Architecture=x86_64; #"
    say "# the arm64 build itself is NOT checked by this run.                            #"
    say "################################################################################"
    say ""
  fi
fi

# A durable stage without an alarm topic is refused before anything is built or sent.
if refusal=$(STAGE=prod PARAMETERS="" scripts/deploy.sh deploy 2>&1) \
  || ! grep -q "AlarmTopicArn=arn:" <<<"$refusal"; then
  say "rehearse: FAILED: make deploy STAGE=prod without AlarmTopicArn was not refused:"
  say "$refusal"
  exit 1
fi

"$VENV/bin/aws" s3 mb "s3://$bucket" >/dev/null

say "rehearse: deploying stage $stage ($ARCH) to the emulator at $AWS_ENDPOINT_URL"
STAGE="$stage" ARCH="$ARCH" DEPLOY_S3_BUCKET="$bucket" scripts/deploy.sh deploy
built=$SECONDS
kind=$("$VENV/bin/aws" cloudformation describe-stacks --stack-name "thumbtack-partner-$stage" \
  --query "Stacks[0].Parameters[?ParameterKey=='StageKind'].ParameterValue" --output text)
if [ "$kind" != throwaway ]; then
  say "rehearse: FAILED: stage $stage was deployed as StageKind=$kind, not throwaway"
  exit 1
fi

echo
echo "== what CloudFormation received (stack thumbtack-partner-$stage, bucket $bucket)"
"$VENV/bin/python" scripts/check_artifacts.py "thumbtack-partner-$stage"
echo
echo "rehearse: passed on $ARCH in $((SECONDS - started)) s (deploy $((built - started)) s) $fallback"
