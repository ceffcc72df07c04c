#!/usr/bin/env bash
# An install that works without the source tree: install coach non-editably (no sources on the path),
# then from an empty directory run the CLI and the quantization harness as a user would.
# Reuses .venv's packages (llama-cpp-python built for this CPU, the model packages) through a .pth file,
# so nothing is downloaded or rebuilt; only coach itself comes from the built wheel.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PY" -m pip wheel -q --no-deps -w "$work/wheel" "$ROOT" >/dev/null
python_version="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
"$PY" -m venv --without-pip "$work/venv"
site="$work/venv/lib/python$python_version/site-packages"
"$PY" -m pip install -q --no-deps --target "$site" "$work"/wheel/coach-*.whl
# Everything but coach (and its editable finder) from .venv.
dev_site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$dev_site" > "$site/zz-dev-packages.pth"
export COACH_HOME="$work/home"
cd "$work"
run() { "$work/venv/bin/python" -c 'import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
"$work/venv/bin/python" - "$ROOT" <<'PY'
import sys, coach, quantize, bench
root = sys.argv[1]
for module in (coach, quantize, bench):
    assert not module.__file__.startswith(root), f"{module.__name__} comes from the source tree: {module.__file__}"
print("installed package:", coach.__file__)
PY
printf 'Design and own the evaluation infrastructure for our LLM applications. Debug production regressions.\n' > jd.txt
run decode jd.txt --json >/dev/null
printf 'I built a golden set of 400 tickets and cut escalations by 23%%.\n' > answer.txt
run score --competency evaluation --question "Tell me about a time you built an evaluation." --answer-file answer.txt --no-model >/dev/null
run bench --help >/dev/null
"$work/venv/bin/python" - <<'PY'
from pathlib import Path
from quantize.tiny import build_tiny_model
build_tiny_model(Path("tiny-f32.gguf"))
PY
run quantize make tiny-f32.gguf --out-dir quants --types Q8_0 >/dev/null
set +e
run quantize check tiny-f32.gguf quants/tiny-q8_0.gguf --chunks 2 --json > check.json
code=$?
set -e
# 0 pass, 1 fail, 3 not enough data are all verdicts; what matters here is that the harness ran and reported.
"$work/venv/bin/python" -c 'import json, sys; d = json.load(open("check.json")); assert d["tokens"]["tokens"] > 0' \
  || { echo "quantize check did not report (exit $code)"; exit 1; }
echo "check_installed: decode, score --no-model, bench --help and quantize check ran from the installed package"
