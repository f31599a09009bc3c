#!/usr/bin/env bash
# make dev: the whole system on this machine, in the foreground, against the moto emulator.
# Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

use_emulator
# The v4 settings (the connect flow: POST /v1/connections), pointed at the Thumbtack simulator devstack
# starts unless set; left alone when THUMBTACK_API_BASE_URL names another Thumbtack. API base as
# Thumbtack documents it: https://api.thumbtack.com/api (v4 paths under it).
if [ -z "${THUMBTACK_API_BASE_URL:-}" ]; then
  sim="http://${SANDBOX_ADDR:-127.0.0.1:4010}"
  export THUMBTACK_V4_AUTH_URL="${THUMBTACK_V4_AUTH_URL:-$sim/oauth2/auth}"
  export THUMBTACK_V4_TOKEN_URL="${THUMBTACK_V4_TOKEN_URL:-$sim/oauth2/token}"
  export THUMBTACK_V4_API_BASE_URL="${THUMBTACK_V4_API_BASE_URL:-$sim/api}"
  export THUMBTACK_V4_CLIENT_ID="${THUMBTACK_V4_CLIENT_ID:-sim-client}"
  export THUMBTACK_V4_CLIENT_SECRET="${THUMBTACK_V4_CLIENT_SECRET:-sim-secret}"
fi
say "dev: building the local stack (the first build takes a few minutes)"
# partnerctl too: the operator commands (make quarantine, make reply...) then start at once.
cargo build --quiet -p devstack -p partnerctl
# Not exec: the traps above must run to stop the emulator after the server exits.
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/devstack" &
server=$!
STARTED_PIDS+=("$server")
wait "$server"
