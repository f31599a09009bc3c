#!/usr/bin/env bash
# make load: the bounded load run against `make dev` (which must be running), loopback only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$EMULATOR_PORT}"
curl -fsS -o /dev/null --max-time 2 "http://${DEV_ADDR:-127.0.0.1:3000}/healthz" \
  || { say "load: nothing answers on ${DEV_ADDR:-127.0.0.1:3000}: start 'make dev' first"; exit 1; }
cargo run --quiet -p tools --bin load
