#!/usr/bin/env bash
# Install, then run the linters and the whole test suite. Extra arguments go to pytest.
# Browser tests need Debian's chromium (and CJK fonts): installed here when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing Debian's chromium and fonts-noto-cjk for the browser tests"
        apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    else
        echo "note: browser tests are skipped without /usr/bin/chromium (apt-get install chromium)"
    fi
fi
echo "== ruff";         .venv/bin/ruff check .
echo "== mypy";         .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
echo "== pytest";       .venv/bin/python -m pytest "$@"
