"""Helpers views share: the app's database, the current user, access decorators."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from flask import abort, current_app, g, redirect, request, url_for

from portal.crypto import Vault
from portal.db.models import OrganisationKind, Role, User
from portal.db.session import Database
from portal.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
MAX_REDIRECT = 2000
#: the largest id (or version, or page) every database holds: the id columns are INTEGER,
#: 32 bits on PostgreSQL (SQLite's would take 64)
MAX_ID = 2**31 - 1


def query_int(name: str, default: int | None = None) -> int | None:
    """The query argument *name* as a whole number from 0 to MAX_ID, else *default*: a
    number no column can hold is the same as none, never an overflow further down."""
    text = request.args.get(name, "")
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        return default
    return int(text)


def local_path(target: str | None) -> str | None:
    """*target* when it is a path on this site (`/products/3?tab=x`), else None.

    Browsers and servers drop tabs and newlines, read a backslash as a slash and follow
    `//host` to another site, so a candidate is refused when it, or its percent-decoding,
    holds a control character or a backslash, or does not start with exactly one slash; the
    check runs on what a browser would see, not on the raw text."""
    if not target or len(target) > MAX_REDIRECT:
        return None
    for text in (target, unquote(target)):
        if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\\" for c in text):
            return None
        if not text.startswith("/") or text.startswith("//"):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _ascii_name(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in plain).strip("_")


def attachment(filename: str) -> str:
    """A Content-Disposition value for downloading *filename* under its own name (RFC 6266):
    an ASCII `filename` for old clients and the UTF-8 `filename*` (RFC 5987) for the rest, so
    Chinese names and emoji survive and no character can break the header."""
    cleaned = "".join(c for c in filename if unicodedata.category(c)[0] != "C").strip()
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip(". ") or "download"
    stem, dot, extension = cleaned.rpartition(".") if "." in cleaned else (cleaned, "", "")
    fallback = (_ascii_name(stem) or "download") + (f".{_ascii_name(extension)}" if dot and
                                                    _ascii_name(extension) else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def database() -> Database:
    db: Database = current_app.extensions["pcf_db"]
    return db


def vault() -> Vault:
    """The trade-secret vault (per-organisation keys under the master key)."""
    found: Vault = current_app.extensions["pcf_vault"]
    return found


def settings() -> Settings:
    value: Settings = current_app.extensions["pcf_settings"]
    return value


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def login_required(view: F) -> F:
    """Redirect anonymous users to the login page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def require(*, kinds: tuple[OrganisationKind, ...] = (), roles: tuple[Role, ...] = ()
            ) -> Callable[[F], F]:
    """Allow only users of these organisation kinds and roles (403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            assert user is not None
            if kinds and user.organisation.kind not in kinds:
                abort(403)
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
