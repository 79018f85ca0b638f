#!/usr/bin/env bash
# Install, then run the main job: the worked example footprint (the portal replaces this
# once it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/pcf footprint examples/steel-bracket.yaml "$@"
