#!/usr/bin/env bash
# make test: every test. Starts the emulator if none is running and stops what it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

trap stop_started EXIT
use_emulator
ensure_browser
# The Lambda runtime tests run the function binaries themselves.
cargo build --quiet --workspace --bins

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
