"""Every `pcf` test runs with a trust store of its own: the user's (~/.local/share/pcf) and
$PCF_TRUST_LIST never leak into a test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def own_trust_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """$XDG_DATA_HOME in the test's folder; returns the trust store's path."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("PCF_TRUST_LIST", raising=False)
    return tmp_path / "xdg-data" / "pcf" / "trust-list.jwt"
