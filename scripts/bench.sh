#!/usr/bin/env bash
# make bench: every benchmark of docs/benchmarks.md, release builds, against the emulator (started
# here unless one runs). About 3 minutes once the release builds exist; 10 more the first time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_started EXIT
use_emulator
target="${CARGO_TARGET_DIR:-$ROOT/target}/release"

echo "== handler CPU (criterion)"
# Criterion's progress lines go to stderr; its results and any build error are kept.
cargo bench --quiet -p lead-inbound --bench lead_path -- --warm-up-time 2 --measurement-time 5 2>&1 \
  | grep -E '^lead|time:|error' | grep -v '%'
echo
echo "== release builds"
cargo build --quiet --release -p lead-inbound -p message-inbound -p lead-read -p reply-outbound
cargo build --quiet --release -p bench
echo
echo "== cold start"
"$target/coldstart"
echo
echo "== end to end"
"$target/e2e-bench"
echo
echo "== replies"
"$target/replies-bench"
echo
echo "== list route"
"$target/list-bench"
if [ -d target/lambda/arm64 ]; then
  echo
  echo "== deployable zips (from the last make build)"
  for zip in target/lambda/arm64/*/bootstrap.zip; do
    printf '%-18s binary %10s  zip %10s\n' "$(basename "$(dirname "$zip")")" \
      "$(unzip -Zt "$zip" | awk '{print $3}')" "$(stat -c %s "$zip")"
  done
fi
