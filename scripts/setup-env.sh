#!/usr/bin/env bash
# Creates .venv beside the repo (once) and installs everything the app and the tests need (the dev
# extra, and the scale extra, Ray, whose local-cluster test runs in CI).
# torch is pinned first so pip does not pull a multi-GB CUDA build on a CPU machine that already
# has the 2.13.0 CPU wheel; on a GPU machine set TORCH_SPEC (e.g. TORCH_SPEC=torch) to get CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml scripts/setup-env.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
  .venv/bin/python -m pip install -q -e ".[dev,scale]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
