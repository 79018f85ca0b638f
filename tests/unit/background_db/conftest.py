"""Shared fixtures for background-database tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REFERENCE_FIXTURES = ROOT.parent / "shared" / "reference" / "import-fixtures"


@pytest.fixture
def reference_fixtures() -> Path:
    """`../shared/reference/import-fixtures`, or a clean skip when a clone has no shared/."""
    if not REFERENCE_FIXTURES.is_dir():
        pytest.skip(f"reference fixtures not present at {REFERENCE_FIXTURES}")
    return REFERENCE_FIXTURES
