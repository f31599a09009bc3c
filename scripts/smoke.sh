#!/usr/bin/env bash
# make smoke: the smoke test against a running stack. Locally it needs `make dev` running; for a
# deployed stack set BASE_URL, PARTNER_API_USERNAME, PARTNER_API_PASSWORD and REPLY_QUEUE_URL.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
if [ -z "${BASE_URL:-}" ]; then
  use_running_emulator
  curl -fsS -o /dev/null --max-time 2 "http://${DEV_ADDR:-127.0.0.1:3000}/healthz" \
    || { say "smoke: nothing answers on ${DEV_ADDR:-127.0.0.1:3000}: start 'make dev' first"; exit 1; }
  export BASE_URL="http://${DEV_ADDR:-127.0.0.1:3000}"
fi
cargo run --quiet -p harness --bin smoke
