#!/usr/bin/env bash
# make fuzz: libFuzzer on the parsers (lead, message, reply, v4 webhook) and the basic-auth header, each for
# FUZZ_SECONDS (30). Needs cargo-fuzz (installed here on first use) and a toolchain that takes
# -Z flags: nightly, or this stable one with RUSTC_BOOTSTRAP=1, as below. The seed corpus is
# fuzz/corpus/<target>; what libFuzzer finds goes to fuzz/work/ (not committed), crashes to
# fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in ${FUZZ_TARGETS:-lead message lead_update review reply basic_auth v4_webhook}; do
  mkdir -p "work/$target"
  echo "fuzz: $target for ${FUZZ_SECONDS:-30} s"
  cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
    -max_total_time="${FUZZ_SECONDS:-30}" -max_len=65536 -print_final_stats=1
done
