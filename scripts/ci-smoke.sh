#!/usr/bin/env bash
# CI: start `make dev` as a user would, wait for /healthz, run `make smoke` against it, stop it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p "$STATE"
setsid scripts/dev.sh >"$STATE/ci-dev.log" 2>&1 &
dev=$!
stop_dev() {
  kill -TERM -- "-$dev" 2>/dev/null || true
  wait "$dev" 2>/dev/null || true
}
trap stop_dev EXIT
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null --max-time 2 "http://${DEV_ADDR:-127.0.0.1:3000}/healthz" 2>/dev/null && break
  if ! kill -0 "$dev" 2>/dev/null; then
    say "make dev exited:"; cat "$STATE/ci-dev.log"; exit 1
  fi
  sleep 1
done
scripts/smoke.sh || { say "make dev log:"; tail -50 "$STATE/ci-dev.log"; exit 1; }
