#!/usr/bin/env bash
# make lead-update / make review: send a sample payload to the local stack as Thumbtack would,
# with the local credentials, and print the answer. Usage: scripts/send.sh METHOD PATH FILE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
method="$1" path="$2" file="$3"
addr="${DEV_ADDR:-127.0.0.1:3000}"
curl -fsS -o /dev/null --max-time 2 "http://$addr/healthz" \
  || { say "nothing answers on $addr: start 'make dev' first"; exit 1; }
[ -f "$file" ] || { say "no such file: $file"; exit 1; }
say "$method $path < $file"
curl -sS -X "$method" -w '\nHTTP %{http_code}\n' \
  -u "${PARTNER_API_USERNAME:-thumbtack}:${PARTNER_API_PASSWORD:-local-dev-password}" \
  -H 'Content-Type: application/json' --data-binary "@$file" "http://$addr$path"
