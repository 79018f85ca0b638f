"""Typed settings with defaults, overlaid by environment variables (read by the app factory,
never at import time). `DATABASE_URL` and `CELERY_BROKER_URL` keep their conventional names;
everything else is prefixed `PCF_`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from portal.instance_files import secret_file


@dataclass(frozen=True)
class SessionLimits:
    """How long a login lasts without activity (*idle*) and at most (*lifetime*)."""

    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class Settings:
    """Everything the portal is configured by."""

    instance_path: Path = Path("var")
    database_url: str = ""  # default: sqlite file in the instance folder
    secret_key: str = ""  # default: generated once into instance/secret_key
    master_key: str = ""  # base64 AES-256 key for trade secrets; default: instance/master_key
    celery_broker_url: str = ""  # empty: jobs run in-process
    background_store: Path | None = None  # default: instance/background
    public_host: str = "pcf.localhost"  # the host in did:web issuer ids and label URIs
    default_locale: str = "zh_CN"
    locales: tuple[str, ...] = ("zh_CN", "en")
    session_cookie_secure: bool = True
    login_rate_limit: str = "10 per minute"  # per client address
    # per account, whatever the address: slows guessing one password from many addresses
    account_login_rate_limit: str = "20 per hour"
    session_idle_seconds: int = 30 * 60  # a login ends after this long without a request
    session_lifetime_seconds: int = 12 * 3600  # and this long after it began, at the latest
    # where rate limits count: redis://... shares them between workers and `pcf accounts
    # unlock`; default: the Celery broker when it is Redis, else each process's memory
    ratelimit_storage_url: str = ""
    ratelimit_enabled: bool = True  # false only for load benchmarks (`python -m bench verify`)
    max_upload_bytes: int = 64 * 1024 * 1024
    # an uploaded dataset is imported in a child process with at most this much address
    # space and processor time (background_db.sandbox)
    import_memory_mb: int = 2048
    import_seconds: int = 600
    # how long a verifier may rely on a fetched status list (its `ttl`): the longest a
    # revocation can go unseen by an offline verifier, and how long a downloaded bundle works
    status_list_ttl_seconds: int = 300
    # a RUNNING job whose runner is silent this long is retried (up to job_max_attempts
    # starts in all) or failed; runners beat every sixth of it
    job_stale_seconds: int = 60
    job_max_attempts: int = 3
    jobs_inline: bool = False  # run in-process jobs in the calling thread (tests)
    testing: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            key = {"database_url": "DATABASE_URL",
                   "celery_broker_url": "CELERY_BROKER_URL"}.get(field.name,
                                                                 f"PCF_{field.name.upper()}")
            if key in env:
                values[field.name] = _parse(field.type, env[key], key)
        kinds = {f.name: str(f.type) for f in fields(cls)}
        for name, value in overrides.items():
            if name not in kinds:
                raise TypeError(f"unknown setting {name!r}")
            values[name] = Path(value) if "Path" in kinds[name] and isinstance(value, str) else (
                value)
        return cls(**values)

    def __post_init__(self) -> None:
        if not 60 <= self.session_idle_seconds <= self.session_lifetime_seconds <= 30 * 86400:
            raise ValueError(f"PCF_SESSION_IDLE_SECONDS={self.session_idle_seconds}, "
                             f"PCF_SESSION_LIFETIME_SECONDS={self.session_lifetime_seconds}: "
                             f"expected 60 <= idle <= lifetime <= 2592000 (30 days)")
        if self.job_stale_seconds < 1 or self.job_max_attempts < 1:
            raise ValueError(f"PCF_JOB_STALE_SECONDS={self.job_stale_seconds}, "
                             f"PCF_JOB_MAX_ATTEMPTS={self.job_max_attempts}: expected at least 1")
        if not 0 < self.status_list_ttl_seconds <= 7 * 24 * 3600:
            raise ValueError(f"PCF_STATUS_LIST_TTL_SECONDS={self.status_list_ttl_seconds}: "
                             f"expected 1 to 604800 (a week)")

    @property
    def session_limits(self) -> SessionLimits:
        return SessionLimits(idle=timedelta(seconds=self.session_idle_seconds),
                             lifetime=timedelta(seconds=self.session_lifetime_seconds))

    def resolved(self) -> Settings:
        """Fill the defaults that depend on the instance folder (creating it)."""
        instance = self.instance_path.resolve()
        instance.mkdir(parents=True, exist_ok=True)
        database_url = self.database_url or f"sqlite:///{instance / 'portal.sqlite3'}"
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
        return replace(
            self, instance_path=instance, database_url=database_url,
            secret_key=self.secret_key or _instance_secret(instance),
            background_store=self.background_store or instance / "background",
            ratelimit_storage_url=self.ratelimit_storage_url or (
                self.celery_broker_url if self.celery_broker_url.startswith(("redis://",
                                                                             "rediss://"))
                else "memory://"),
        )


def _parse(kind: Any, text: str, key: str) -> Any:
    kind = str(kind)
    if "bool" in kind:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{key}={text!r}: expected true or false")
    if "int" in kind:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{key}={text!r}: expected a whole number") from None
    if "tuple" in kind:
        return tuple(p.strip() for p in text.split(",") if p.strip())
    if "Path" in kind:
        return Path(text)
    return text


def _instance_secret(instance: Path) -> str:
    """A random secret kept in the instance folder (mode 600), never in the repository."""
    return secret_file(instance / "secret_key", lambda: secrets.token_urlsafe(48))
