#!/usr/bin/env bash
# Set up (first run only) and open the annotation window on the bundled sample clip.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup-env.sh
exec .venv/bin/python main.py "$@"
