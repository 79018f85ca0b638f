"""Benchmarks: run on demand (`make bench` or `python -m bench`), never inside the test suite."""
