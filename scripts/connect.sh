#!/usr/bin/env bash
# make connect: asks the local stack (make dev) for one pro's consent link (v4, issue 22) and
# prints it: open it in a browser and approve on the Thumbtack simulator's page; the browser comes
# back to our callback, which connects the pro. REFERENCE is the partner's own id for the pro.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
addr="${DEV_ADDR:-127.0.0.1:3000}"
curl -fsS -o /dev/null --max-time 2 "http://$addr/healthz" \
  || { say "nothing answers on $addr: start 'make dev' first"; exit 1; }
body=$(REFERENCE="${REFERENCE:-my-pro-1}" python3 -c \
  'import json, os; print(json.dumps({"reference": os.environ["REFERENCE"]}))')
answer=$(curl -sS -X POST -H 'Content-Type: application/json' -w '\n%{http_code}' \
  --data-binary "$body" "http://$addr/v1/connections")
status="${answer##*$'\n'}"
answer="${answer%$'\n'*}"
if [ "$status" != 201 ]; then
  say "connect: POST /v1/connections answered $status: $answer"
  exit 1
fi
printf '%s' "$answer" | python3 -c '
import json, sys
started = json.load(sys.stdin)
print("Open this link in a browser and approve (it works once, until " + started["expiresAt"] + "):")
print(started["authorizeURL"])'
