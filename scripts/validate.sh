#!/usr/bin/env bash
# make validate: the SAM template checked offline, by cfn-lint and by both of sam's validators
# (each has caught errors the other missed).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_tools cfn-lint sam
"$VENV/bin/cfn-lint" infra/template.yaml
echo "cfn-lint: infra/template.yaml passed"
"$VENV/bin/sam" validate --lint --template-file infra/template.yaml
# Offline: the region is only needed to name the partition; no call is made.
AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-offline}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-offline}" \
  "$VENV/bin/sam" validate --template-file infra/template.yaml --region "${AWS_REGION:-us-east-1}"
