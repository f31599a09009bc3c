#!/usr/bin/env bash
# make smoke: the smoke test against a running stack. Locally it needs `make dev` running (and goes
# through its Thumbtack simulator, v4 connect included, when that plays Thumbtack); for a
# deployed stack set BASE_URL, PARTNER_API_USERNAME, PARTNER_API_PASSWORD and REPLY_QUEUE_URL, or
# STAGE=<stage>, which reads them from the stack thumbtack-partner-<stage> (its outputs and its
# partner secret, with the AWS credentials of the environment) together with SimulatorUrl: a stage
# deployed with SimulatorEnabled=true is then also run both ways through its Thumbtack simulator.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
case "${STAGE:-}" in
  "" | dev | local)
    if [ -z "${BASE_URL:-}" ]; then
      use_running_emulator
      curl -fsS -o /dev/null --max-time 2 "http://${DEV_ADDR:-127.0.0.1:3000}/healthz" \
        || { say "smoke: nothing answers on ${DEV_ADDR:-127.0.0.1:3000}: start 'make dev' first"; exit 1; }
      export BASE_URL="http://${DEV_ADDR:-127.0.0.1:3000}"
      # make dev's Thumbtack simulator, when it plays Thumbtack (THUMBTACK_API_BASE_URL unset):
      # the run then also goes both ways through it and connects a pro on v4.
      sim="http://${SANDBOX_ADDR:-127.0.0.1:4010}"
      if [ -z "${THUMBTACK_API_BASE_URL:-}" ] && [ -z "${SIMULATOR_URL:-}" ] \
        && curl -fsS -o /dev/null --max-time 2 "$sim/sim/settings" 2>/dev/null; then
        export SIMULATOR_URL="$sim"
      fi
    fi
    ;;
  *)
    ensure_tools aws
    stack="thumbtack-partner-$STAGE"
    output() {
      aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
    }
    outputs_of_stack=$(output ApiBaseUrl) \
      || { say "smoke: no stack $stack (set BASE_URL..., or make deploy STAGE=$STAGE)"; exit 1; }
    export BASE_URL="${BASE_URL:-$outputs_of_stack}"
    export REPLY_QUEUE_URL="${REPLY_QUEUE_URL:-$(output ReplyQueueUrl)}"
    simulator=$(output SimulatorUrl)
    # The CLI prints "None" for an output the stack does not have (SimulatorEnabled=false).
    if [ -n "$simulator" ] && [ "$simulator" != None ]; then
      export SIMULATOR_URL="${SIMULATOR_URL:-$simulator}"
    fi
    if [ -z "${PARTNER_API_USERNAME:-}" ] || [ -z "${PARTNER_API_PASSWORD:-}" ]; then
      secret=$(aws secretsmanager get-secret-value --output text --query SecretString \
        --secret-id "$stack/partner-credentials")
      # Into this process's environment only (the smoke run's), never printed.
      PARTNER_API_USERNAME=$(printf '%s' "$secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["username"])')
      PARTNER_API_PASSWORD=$(printf '%s' "$secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])')
      unset secret
      export PARTNER_API_USERNAME PARTNER_API_PASSWORD
    fi
    ;;
esac
cargo run --quiet -p harness --bin smoke
