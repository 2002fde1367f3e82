#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite headless on the CPU.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-env.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/lint-imports
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$rc"
