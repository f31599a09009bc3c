#!/usr/bin/env bash
# Operator commands against the local stack's emulator (make dev must be running).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$EMULATOR_PORT}"
if ! emulator_answers "$AWS_ENDPOINT_URL"; then
  say "no emulator answers at $AWS_ENDPOINT_URL: start the local stack with 'make dev' first"
  exit 1
fi
cargo run --quiet -p tools --bin partnerctl -- "$@"
