#!/usr/bin/env bash
# Acceptance benchmarks (bench/), after the same set-up as scripts/test.sh. Arguments go to pytest.
# Results are saved under .benchmarks/ (pytest-benchmark's JSON) for comparison between runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install.sh"
cd "$ROOT"
exec "${COACH_VENV:-$ROOT/.venv}/bin/python" -m pytest bench -p no:randomly --benchmark-autosave \
  --benchmark-columns=min,median,mean,max,rounds "$@"
