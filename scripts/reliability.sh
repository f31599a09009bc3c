#!/usr/bin/env bash
# make reliability: the fault-injection experiments at full size (docs/reliability.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_started EXIT
use_emulator
cargo run --quiet -p harness --bin reliability
