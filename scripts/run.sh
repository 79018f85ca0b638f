#!/usr/bin/env bash
# Install everything, prepare the embedded defaults (SQLite file and background store under
# var/) with demo data, and start the portal on http://127.0.0.1:8000 (gunicorn).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/debian.sh
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    install_optional "Chinese glyphs in charts and PDFs" fonts-noto-cjk
fi
export PCF_SESSION_COOKIE_SECURE="${PCF_SESSION_COOKIE_SECURE:-false}"  # plain http on localhost
.venv/bin/pcf db upgrade
.venv/bin/pcf background seed
.venv/bin/pcf demo
.venv/bin/pcf footprint examples/steel-bracket.yaml | head -20
echo "Portal starting on http://127.0.0.1:8000 unless --host/--port say otherwise (Ctrl-C stops it)"
exec .venv/bin/pcf serve "$@"
