#!/usr/bin/env bash
# make load: the bounded load run against `make dev` (which must be running), loopback only.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
use_running_emulator
curl -fsS -o /dev/null --max-time 2 "http://${DEV_ADDR:-127.0.0.1:3000}/healthz" \
  || { say "load: nothing answers on ${DEV_ADDR:-127.0.0.1:3000}: start 'make dev' first"; exit 1; }
cargo run --quiet -p harness --bin load
