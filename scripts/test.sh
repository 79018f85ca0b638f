#!/usr/bin/env bash
# Install, then run the linters and the whole test suite. Extra arguments go to pytest.
# Browser tests need Debian's chromium (and CJK fonts): installed here when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/debian.sh
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    install_optional "the browser tests (skipped without /usr/bin/chromium)" chromium \
        fonts-noto-cjk
fi
echo "== ruff";         .venv/bin/ruff check .
echo "== mypy";         .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest";       .venv/bin/python -m pytest "$@"
