#!/usr/bin/env bash
# Set up exactly as scripts/run.sh does, then run the whole test suite (arguments go to pytest).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install.sh"
cd "$ROOT"
exec "${COACH_VENV:-$ROOT/.venv}/bin/python" -m pytest "$@"
