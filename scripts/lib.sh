# Shared by the make targets: the Python tools in a project venv, and the moto emulator.
# Sourced, not run. Everything binds to 127.0.0.1; what we start, we stop by PID.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.dev"
MOTO_SPEC="moto[server]>=5.1,<6"
EMULATOR_PORT="${EMULATOR_PORT:-4566}"
STARTED_PIDS=()

say() { printf '%s\n' "$*" >&2; }

# The project's Python tools live in .venv so a fresh machine needs only python3.
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "setup: creating $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
  fi
}

# Headless Chromium and its WebDriver, for the tests that play a pro in a browser (the OAuth
# consent page): Debian's packages, installed once when missing (apt needs root, or sudo).
ensure_browser() {
  command -v chromedriver >/dev/null 2>&1 && [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  say "setup: installing chromium and chromium-driver (Debian packages, about a minute, once)"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
}

# Installs into .venv whichever of the named tools is missing (sam, cargo-lambda, aws, cfn-lint),
# in one pip call so that pip picks versions that agree (sam and the aws CLI share botocore).
ensure_tools() {
  ensure_venv
  local tool missing=()
  for tool in "$@"; do
    [ -x "$VENV/bin/$tool" ] && continue
    case "$tool" in
      sam) missing+=(aws-sam-cli) ;;
      aws) missing+=(awscli) ;;
      *) missing+=("$tool") ;;
    esac
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "setup: installing ${missing[*]} into .venv (about 30 s, once)"
    "$VENV/bin/pip" install --quiet "${missing[@]}"
  fi
  export PATH="$VENV/bin:$PATH" SAM_CLI_TELEMETRY=0
}

# Sets MOTO_SERVER: the project's own, else one already on PATH, else installed into .venv.
ensure_moto() {
  if [ -x "$VENV/bin/moto_server" ]; then
    MOTO_SERVER="$VENV/bin/moto_server"
  elif command -v moto_server >/dev/null 2>&1; then
    MOTO_SERVER="$(command -v moto_server)"
  else
    ensure_venv
    say "setup: installing $MOTO_SPEC into .venv (about 30 s, once)"
    "$VENV/bin/pip" install --quiet "$MOTO_SPEC"
    MOTO_SERVER="$VENV/bin/moto_server"
  fi
}

emulator_answers() {
  curl -fsS -o /dev/null --max-time 2 "$1/moto-api/" 2>/dev/null
}

# The emulator takes any credentials; these keep the SDK from looking for real ones.
emulator_credentials() {
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
  export AWS_EC2_METADATA_DISABLED=true
}

# For commands against the emulator of a running `make dev`.
use_running_emulator() {
  emulator_credentials
  export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://127.0.0.1:$EMULATOR_PORT}"
}

# Points the AWS SDK at an emulator: the one AWS_ENDPOINT_URL names if it answers, else one on
# 127.0.0.1:$EMULATOR_PORT (started here unless one already answers there).
use_emulator() {
  emulator_credentials
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
    if emulator_answers "$AWS_ENDPOINT_URL"; then
      say "emulator: using the running emulator at $AWS_ENDPOINT_URL"
      return 0
    fi
    say "emulator: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL does not answer; unset it to start one here"
    return 1
  fi
  export AWS_ENDPOINT_URL="http://127.0.0.1:$EMULATOR_PORT"
  if emulator_answers "$AWS_ENDPOINT_URL"; then
    say "emulator: reusing the moto server already running at $AWS_ENDPOINT_URL"
    return 0
  fi
  ensure_moto
  mkdir -p "$STATE"
  "$MOTO_SERVER" -H 127.0.0.1 -p "$EMULATOR_PORT" >"$STATE/moto.log" 2>&1 &
  local pid=$!
  STARTED_PIDS+=("$pid")
  for _ in $(seq 1 100); do
    if emulator_answers "$AWS_ENDPOINT_URL"; then
      say "emulator: started moto server (pid $pid) at $AWS_ENDPOINT_URL, log in .dev/moto.log"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "emulator: moto server exited; see .dev/moto.log"
      return 1
    fi
    sleep 0.2
  done
  say "emulator: moto server did not answer within 20 s; see .dev/moto.log"
  return 1
}

# Stops what this script started, by PID.
stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      say "stopped pid $pid"
    fi
  done
  STARTED_PIDS=()
}
