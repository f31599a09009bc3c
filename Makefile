# The same list, in the same order, as the README's command block.
.PHONY: dev test lint quarantine emulator help

## dev: the whole system locally against the moto emulator (Ctrl-C stops it all)
dev:
	@scripts/dev.sh

## test: every test (starts the emulator if none is running)
test:
	@scripts/test.sh

## lint: formatting and clippy, as CI runs them
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings

## quarantine: list refused payloads kept by the local stack (ARGS="--raw --limit 5")
quarantine:
	@scripts/ctl.sh quarantine $(ARGS)

## emulator: only the moto emulator on 127.0.0.1:4566, in the foreground
emulator:
	@bash -c 'source scripts/lib.sh && ensure_moto && exec "$$MOTO_SERVER" -H 127.0.0.1 -p $${EMULATOR_PORT:-4566}'

help:
	@grep -E '^## ' Makefile | sed 's/^## //'
