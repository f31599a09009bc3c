#!/usr/bin/env bash
# make bench: every benchmark of docs/benchmarks.md, release builds, against the emulator (started
# here unless one runs). About 25 minutes once the release builds exist; 50 more the first time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
trap stop_started EXIT
use_emulator
target="${CARGO_TARGET_DIR:-$ROOT/target}/release"

# Criterion's progress lines go to stderr; its results and any build error are kept.
criterion() {
  cargo bench --quiet -p "$1" --bench "$2" -- --warm-up-time 2 --measurement-time 5 2>&1 \
    | grep -E "^$3|time:|error" | grep -v '%'
}

echo "== handler CPU, lead path (criterion)"
criterion lead-inbound lead_path lead
echo
echo "== v4 webhook CPU per delivery (criterion)"
criterion lead-inbound webhook_path webhook
echo
echo "== events function CPU per stream record (criterion)"
criterion events-out event_path 'stream|lead record'
echo
echo "== release builds"
cargo build --quiet --release -p lead-inbound -p message-inbound -p partner-api -p reply-outbound \
  -p events-out -p speed-to-lead
cargo build --quiet --release -p bench
# The baselines and floors as a user's own project builds them: without this workspace's
# .cargo/config.toml (aws-lc's default entropy sources), in a target directory of their own.
by_hand="${CARGO_TARGET_DIR:-$ROOT/target}/by-hand"
AWS_LC_SYS_NO_JITTER_ENTROPY=0 CARGO_TARGET_DIR="$by_hand" cargo build --quiet --release -p bench \
  --bin hello-lambda --bin putitem-lambda \
  $(ls tools/bench/src/bin | sed -n 's/^\(baseline-.*\)\.rs$/--bin \1/p')
export COLDSTART_BASELINES="$by_hand/release"
echo
echo "== cold start"
"$target/coldstart"
echo
echo "== cold start, every AWS call held 5 ms (calls made at once overlap, as in AWS)"
COLDSTART_LATENCY_MS=5 "$target/coldstart"
echo
echo "== cold start over HTTPS, an endpoint per service, every AWS call held 5 ms"
COLDSTART_TLS=1 COLDSTART_LATENCY_MS=5 "$target/coldstart"
echo
echo "== the same, the baselines built as the functions are (this workspace's .cargo/config.toml)"
COLDSTART_BASELINES= COLDSTART_TLS=1 COLDSTART_LATENCY_MS=5 "$target/coldstart"
# Lambda gives a function CPU in proportion to its memory: the template's MemorySize (256 MB, a
# seventh of a vCPU; tests/infra holds this figure to the template) as a CFS quota. It needs a
# cgroup of its own (root); whether init gets the share too is not documented, so both ways.
cpu_mb=256
for from in spawn invocation; do
  echo
  echo "== cold start at a $cpu_mb MB function's CPU from its $from, over HTTPS, every AWS call held 5 ms"
  if [ "$(id -u)" != 0 ]; then
    echo "(skipped: a cgroup of its own needs root)"
    continue
  fi
  COLDSTART_CPU_MB=$cpu_mb COLDSTART_CPU_FROM=$from COLDSTART_TLS=1 COLDSTART_LATENCY_MS=5 \
    "$target/coldstart"
done
echo
echo "== end to end"
"$target/e2e-bench"
echo
echo "== events: from the 2xx of POST /v1/lead to the event on the events queue; records per second per shard"
"$target/events-bench"
echo
echo "== speed to lead: from the 2xx of POST /v1/lead to its acknowledgement at the sandbox"
"$target/ack-bench"
echo
echo "== replies"
"$target/replies-bench"
echo
echo "== replies: v4 with a cached token beside legacy"
"$target/v4-replies-bench"
echo
echo "== list route"
"$target/list-bench"
for dir in target/lambda/arm64 target/lambda/x86-64; do
  [ -d "$dir" ] || continue
  echo
  echo "== deployable zips in $dir (from the last make build)"
  for zip in "$dir"/*/bootstrap.zip; do
    printf '%-18s binary %10s  zip %10s\n' "$(basename "$(dirname "$zip")")" \
      "$(unzip -Zt "$zip" | awk '{print $3}')" "$(stat -c %s "$zip")"
  done
done
