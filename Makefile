# The same list, in the same order, as the README's command block.
.PHONY: dev test lint bench validate rehearse build deploy delete smoke load reliability fuzz lead-update review reply parked redrive quarantine refused business events connect emulator help

# Bare `make` lists the targets: it never starts a second stack beside a running `make dev`.
.DEFAULT_GOAL := help

STAGE ?= dev

# The sample lead's ids (tests/fixtures/lead.json), so that `make reply TEXT=...` just works.
LEAD ?= 299614694480093245
BUSINESS ?= 286845156044809661
TEXT ?= Hello from the pro! When would suit you?

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

## bench: handler, v4 webhook and events CPU, cold start, end to end, 2xx to event, events per shard, 2xx to acknowledgement, replies (legacy and v4) and list route benchmarks (docs/benchmarks.md)
bench:
	@scripts/bench.sh

## validate: the SAM template, offline (cfn-lint, sam validate --lint, sam validate)
validate:
	@scripts/validate.sh

## rehearse: make deploy against the emulator's S3 and CloudFormation, then check every artifact
rehearse:
	@scripts/rehearse.sh

## build: deployable arm64 zips with cargo-lambda in target/lambda/arm64/ (ARCH=x86-64 for Intel)
build:
	@scripts/build.sh

## deploy: sam build + sam deploy of the stack thumbtack-partner-$(STAGE) (AWS credentials; PARAMETERS="AlarmTopicArn=..." unless dev/test/sandbox*)
deploy:
	@STAGE=$(STAGE) scripts/deploy.sh deploy

## delete: delete the stack thumbtack-partner-$(STAGE) (a durable stage's is protected: it says how to lift that)
delete:
	@STAGE=$(STAGE) scripts/deploy.sh delete

## smoke: play Thumbtack against a running stack (make dev; STAGE=<stage> reads a deployed one, through its simulator when it has one)
smoke:
	@scripts/smoke.sh

## load: bounded load run, every lead read back (STAGE=<stage> RATE=<leads/s> SECONDS=<n>; default make dev)
load:
	@STAGE=$(STAGE) LOAD_SECONDS=$(SECONDS) scripts/load.sh

## reliability: the fault-injection figures of docs/reliability.md (starts the emulator if needed)
reliability:
	@scripts/reliability.sh

## fuzz: libFuzzer on the parsers and the auth header, FUZZ_SECONDS each (needs cargo-fuzz; see scripts/fuzz.sh)
fuzz:
	@scripts/fuzz.sh

## lead-update: send a sample lead update to the local stack, PUT /v1/lead/update (FILE=...)
lead-update:
	@scripts/send.sh PUT /v1/lead/update "$(or $(FILE),tests/fixtures/lead-update.json)"

## review: send a sample review to the local stack, POST /v1/review (FILE=...)
review:
	@scripts/send.sh POST /v1/review "$(or $(FILE),tests/fixtures/review.json)"

## reply: enqueue a pro's reply on the local reply queue (LEAD=... BUSINESS=... TEXT=... REPLY_ID=...)
reply:
	@scripts/ctl.sh reply --lead "$(LEAD)" --business "$(BUSINESS)" --text "$(TEXT)" $(if $(REPLY_ID),--reply-id "$(REPLY_ID)")

## parked: show replies parked in the dead-letter queue, with the reason
parked:
	@scripts/ctl.sh parked

## redrive: move parked replies back to the reply queue (after fixing the cause)
redrive:
	@scripts/ctl.sh redrive

## quarantine: refused inbound payloads kept by the local stack (ARGS="--raw", ARGS="replay --all")
quarantine:
	@scripts/ctl.sh quarantine $(ARGS)

## refused: refused deliveries (401, 413, 400) counted per minute, newest first, no bodies (ARGS="--limit 50")
refused:
	@scripts/ctl.sh refused $(ARGS)

## business: a business's speed-to-lead settings (ARGS="show <businessID>", ARGS="set <businessID> FILE|--ack on")
business:
	@scripts/ctl.sh business $(ARGS)

## events: follow the local events queue: one line per event (detail-type and ids); Ctrl-C stops
events:
	@scripts/ctl.sh events --follow

## connect: a consent link for one pro to connect their Thumbtack account (v4) to the local stack (REFERENCE=...)
connect:
	@REFERENCE="$(or $(REFERENCE),my-pro-1)" scripts/connect.sh

## emulator: only the moto emulator on 127.0.0.1:4566, in the foreground
emulator:
	@bash -c 'source scripts/lib.sh && ensure_moto && exec "$$MOTO_SERVER" -H 127.0.0.1 -p $${EMULATOR_PORT:-4566}'

## help: this list of targets (what bare `make` prints)
help:
	@grep -E '^## ' Makefile | sed 's/^## //'
