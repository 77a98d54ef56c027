#!/usr/bin/env bash
# Run a command with the variables of .env exported (they override the current environment).
# Usage: scripts/with-env.sh CMD [ARGS...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$ROOT/.venv/bin/python" "$ROOT/scripts/setup_helper.py" with-env "$ROOT/.env" "$@"
