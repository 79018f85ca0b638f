"""Where `pcf verify` finds the trust list it pins, in order: ``--trust-list FILE``, the
environment variable ``PCF_TRUST_LIST``, the user's trust store
(``$XDG_DATA_HOME/pcf/trust-list.jwt``, by default ``~/.local/share/pcf/trust-list.jwt``),
and the list shipped with the command (``portal/trust/trust-list.jwt``, absent in this
repository); and fetching an update (http(s) or a file) and storing it in the trust store.

A source that is named but cannot be read or does not verify is an error, never a reason to
fall back to the next one.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from label_cert.errors import LabelError
from label_cert.trust import MEDIA_TYPE, SignedTrustList, load_trust_list, verify_trust_list

ENVIRONMENT_VARIABLE: Final = "PCF_TRUST_LIST"
STORE_NAME: Final = "trust-list.jwt"
MAX_TRUST_LIST_BYTES: Final = 1024 * 1024  # a province's bodies and keys take a few KiB
FETCH_TIMEOUT_SECONDS: Final = 10.0


class TrustSourceError(Exception):
    """A trust list could not be read, fetched, verified or stored; the message says which
    and why, for the user."""


@dataclass(frozen=True)
class TrustSource:
    """One place a trust list is read from: what named it, and the file."""

    kind: str  # "--trust-list", "PCF_TRUST_LIST", "trust store", "shipped with pcf"
    path: Path

    def describe(self) -> str:
        """How the report names this source."""
        if self.kind == ENVIRONMENT_VARIABLE:
            return f"{ENVIRONMENT_VARIABLE}={self.path}"
        return f"{self.kind} {self.path}"


def store_path(environ: Mapping[str, str]) -> Path:
    """The user's trust store: $XDG_DATA_HOME/pcf/trust-list.jwt (a relative XDG_DATA_HOME
    is ignored, as the XDG specification says), else ~/.local/share/pcf/trust-list.jwt."""
    data_home = environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return base / "pcf" / STORE_NAME


def shipped_path() -> Path | None:
    """The trust list installed with the command (portal/trust/trust-list.jwt), if any."""
    candidate = resources.files("portal") / "trust" / STORE_NAME
    return Path(str(candidate)) if candidate.is_file() else None


def resolve(
    option: Path | None,
    environ: Mapping[str, str],
    shipped_list: Callable[[], Path | None] = shipped_path,
) -> TrustSource | None:
    """The first trust source that applies, or None: nothing is pinned."""
    if option is not None:
        return TrustSource("--trust-list", option)
    if environ.get(ENVIRONMENT_VARIABLE):
        return TrustSource(ENVIRONMENT_VARIABLE, Path(environ[ENVIRONMENT_VARIABLE]))
    stored = store_path(environ)
    if stored.exists():
        return TrustSource("trust store", stored)
    shipped = shipped_list()
    return TrustSource("shipped with pcf", shipped) if shipped is not None else None


def _text(raw: bytes, where: str) -> str:
    if len(raw) > MAX_TRUST_LIST_BYTES:
        raise TrustSourceError(f"{where}: larger than {MAX_TRUST_LIST_BYTES} bytes: not a "
                               "trust list")
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise TrustSourceError(f"{where}: not a trust list (a compact JWS is ASCII)") from None


def _read_file(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TRUST_LIST_BYTES + 1)
    except OSError as exc:
        raise TrustSourceError(f"{path}: cannot read the trust list: {exc.strerror}") from None
    return _text(raw, str(path))


def load(source: TrustSource, anchor: str | None = None) -> SignedTrustList:
    """The list `source` holds, intact and signed by an operator key it names (by the
    `anchor` key when one is given)."""
    token = _read_file(source.path)
    try:
        return load_trust_list(token) if anchor is None else verify_trust_list(token, {anchor})
    except LabelError as exc:
        raise TrustSourceError(f"{source.describe()}: {exc}") from None


def fetch(location: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> str:
    """The trust list token at an http(s) URL or in a file (at most 1 MiB, ASCII)."""
    scheme = urlsplit(location).scheme.lower()
    if scheme not in ("http", "https"):
        if len(scheme) > 1:  # "C:" is a drive, not a scheme
            raise TrustSourceError(f"{location}: give an http(s) URL or a file")
        return _read_file(Path(location))
    request = urllib.request.Request(location, headers={"Accept": f"{MEDIA_TYPE}, */*;q=0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read(MAX_TRUST_LIST_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise TrustSourceError(f"{location}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise TrustSourceError(f"{location}: cannot fetch: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
        raise TrustSourceError(f"{location}: cannot fetch: {exc}") from None
    return _text(raw, location)


def store(trust: SignedTrustList, path: Path) -> None:
    """Write the list to the trust store, replacing the old one in one step."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(trust.token + "\n", encoding="ascii")
        os.replace(partial, path)
    except OSError as exc:
        raise TrustSourceError(f"{path}: cannot store the trust list: {exc.strerror}") from None
