#!/usr/bin/env bash
# make load: a bounded load run, then every lead read back (tools/harness/src/bin/load.rs).
#   Without STAGE (or STAGE=dev or local): against `make dev`, which must be running; loopback only.
#   STAGE=<stage>: against the deployed stack thumbtack-partner-<stage>, with the AWS credentials
#   of the environment (the PartnerApiReaderPolicy, DescribeStacks, and GetSecretValue on the partner
#   secret unless PARTNER_API_USERNAME and PARTNER_API_PASSWORD are set); the HTTP basic
#   credentials from that secret's AWSCURRENT. BASE_URL overrides the stack's ApiBaseUrl output.
#   RATE=<leads/s> LOAD_SECONDS=<n> (the Makefile passes SECONDS as LOAD_SECONDS): paced; without
#   RATE, LEADS and MESSAGES at once. CONCURRENCY caps the requests in flight.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
case "${STAGE:-}" in
  "" | dev | local)
    if [ -z "${BASE_URL:-}" ]; then
      use_running_emulator
      curl -fsS -o /dev/null --max-time 2 "http://${DEV_ADDR:-127.0.0.1:3000}/healthz" \
        || { say "load: nothing answers on ${DEV_ADDR:-127.0.0.1:3000}: start 'make dev' first"; exit 1; }
    fi
    ;;
  *)
    if [ -z "${BASE_URL:-}" ]; then
      ensure_tools aws
      stack="thumbtack-partner-$STAGE"
      BASE_URL=$(aws cloudformation describe-stacks --stack-name "$stack" \
        --query "Stacks[0].Outputs[?OutputKey=='ApiBaseUrl'].OutputValue" --output text) \
        || { say "load: no stack $stack (set BASE_URL, or make deploy STAGE=$STAGE)"; exit 1; }
      export BASE_URL
    fi
    if [ -z "${PARTNER_API_USERNAME:-}" ] || [ -z "${PARTNER_API_PASSWORD:-}" ]; then
      ensure_tools aws
      secret=$(aws secretsmanager get-secret-value --output text --query SecretString \
        --secret-id "thumbtack-partner-$STAGE/partner-credentials")
      # Into this process's environment only (the load run's), never printed.
      PARTNER_API_USERNAME=$(printf '%s' "$secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["username"])')
      PARTNER_API_PASSWORD=$(printf '%s' "$secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])')
      unset secret
      export PARTNER_API_USERNAME PARTNER_API_PASSWORD
    fi
    ;;
esac
cargo run --quiet -p harness --bin load
