#!/usr/bin/env bash
# make build: deployable arm64 zips of every function with cargo-lambda (zig cross-compiles), in
# target/lambda/arm64/<function>/bootstrap.zip. Needs the network once: cargo-lambda from PyPI and
# the rustup target aarch64-unknown-linux-gnu.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ARCH="${ARCH:-arm64}"
ensure_tools cargo-lambda
case "$ARCH" in
  arm64) target=aarch64-unknown-linux-gnu; flag=--arm64 ;;
  x86-64) target=x86_64-unknown-linux-gnu; flag=--x86-64 ;;
  *) say "ARCH must be arm64 or x86-64"; exit 2 ;;
esac
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

bins=()
for dir in functions/*/; do bins+=(--bin "$(basename "$dir")"); done
# --release keeps our [profile.release]: panic = "unwind" is set there on purpose.
cargo lambda build --release "$flag" --output-format zip --lambda-dir "target/lambda/$ARCH" "${bins[@]}"

printf '%-18s %12s %12s\n' function binary zip
for dir in functions/*/; do
  name="$(basename "$dir")"
  zip="target/lambda/$ARCH/$name/bootstrap.zip"
  binary_size=$(unzip -Zt "$zip" | awk '{print $3}')
  printf '%-18s %12s %12s\n' "$name" "$binary_size" "$(stat -c %s "$zip")"
done
