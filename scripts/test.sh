#!/usr/bin/env bash
# Install, then run the linters and the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "== ruff";         .venv/bin/ruff check .
echo "== mypy";         .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest";       .venv/bin/python -m pytest "$@"
