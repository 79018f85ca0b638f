.PHONY: bench test lint schemas
PY ?= .venv/bin/python

bench:  ## engine and background benchmarks on a synthetic 25,000-activity background
	$(PY) -m bench engine
	$(PY) -m bench background

test:
	bash .ci/run

lint:
	$(PY) -m ruff check . && $(PY) -m mypy && .venv/bin/lint-imports

schemas:  ## rewrite lca_engine/schemas/*.json from lca_engine/document_schema.py
	$(PY) -c "from pathlib import Path; from lca_engine.document_schema import SCHEMA_FILES, schema_text; [Path('lca_engine/schemas', n).write_text(schema_text(s), encoding='utf-8') for n, s in SCHEMA_FILES.items()]"
