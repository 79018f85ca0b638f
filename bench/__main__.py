"""`python -m bench`: the engine benchmark (see bench/engine.py)."""

from bench.engine import main

main()
