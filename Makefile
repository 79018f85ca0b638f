.PHONY: bench test lint
PY ?= .venv/bin/python

bench:  ## engine and background benchmarks on a synthetic 25,000-activity background
	$(PY) -m bench engine
	$(PY) -m bench background

test:
	bash .ci/run

lint:
	$(PY) -m ruff check . && $(PY) -m mypy && .venv/bin/lint-imports
