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
say "dev: building the local stack (the first build takes a few minutes)"
# partnerctl too: the operator commands (make quarantine, make reply...) then start at once.
cargo build --quiet -p devstack -p partnerctl
# Not exec: the traps above must run to stop the emulator after the server exits.
"${CARGO_TARGET_DIR:-$ROOT/target}/debug/devstack" &
server=$!
STARTED_PIDS+=("$server")
wait "$server"
