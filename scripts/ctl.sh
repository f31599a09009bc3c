#!/usr/bin/env bash
# Operator commands against the local stack's emulator (make dev must be running).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
use_running_emulator
if ! emulator_answers "$AWS_ENDPOINT_URL"; then
  say "no emulator answers at $AWS_ENDPOINT_URL: start the local stack with 'make dev' first"
  exit 1
fi
# PARTNERCTL names a partnerctl already built: the README's test runs the one `make test` built,
# so that no cargo runs (and waits for the build lock) beside the tests.
if [ -n "${PARTNERCTL:-}" ]; then exec "$PARTNERCTL" "$@"; fi
# make dev builds partnerctl; without it the first command compiles it, silently: say so.
[ -x "${CARGO_TARGET_DIR:-$ROOT/target}/debug/partnerctl" ] \
  || say "partnerctl: building it first (a minute or two, once)"
cargo run --quiet -p partnerctl -- "$@"
