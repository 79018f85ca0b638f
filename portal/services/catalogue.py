"""Published background releases as product modelling sees them: the releases ready for use,
their frozen documents and compiled matrices (cached per process, since releases never
change), and searches over their activities and flows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from background_db.compile import CompiledRelease, compile_release
from background_db.errors import BackgroundError
from background_db.release import BackgroundRelease
from background_db.store import BackgroundStore
from lca_engine import Method
from lca_engine.characterization import DEFAULT_GWP_SET
from lca_engine.lru import LruCache
from portal.db.models import ReleaseRecord, ReleaseStatus
from portal.services.errors import Conflict, NotFound

_LOADED: LruCache[tuple[str, str], BackgroundRelease] = LruCache(4)
SEARCH_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ActivityChoice:
    """A background activity offered as the provider of an input."""

    id: str
    name: str
    unit: str
    sector: str
    geography: str


@dataclass(frozen=True, slots=True)
class FlowChoice:
    """An elementary flow offered for a direct emission."""

    id: str
    name: str
    unit: str


def ready_releases(session: Session) -> list[ReleaseRecord]:
    """Releases that can be computed against, newest first."""
    return list(session.scalars(select(ReleaseRecord).where(
        ReleaseRecord.status == ReleaseStatus.READY).order_by(
        ReleaseRecord.published_at.desc(), ReleaseRecord.id.desc())))


def ready_release(session: Session, release_id: int) -> ReleaseRecord:
    """The READY release with this id (NotFound otherwise)."""
    record = session.get(ReleaseRecord, release_id)
    if record is None or record.status is not ReleaseStatus.READY:
        raise NotFound(f"no usable background release {release_id}")
    return record


def release_by_label(session: Session, label: str) -> ReleaseRecord | None:
    """The READY release `name@version`, or None."""
    name, _sep, version = label.partition("@")
    return session.scalar(select(ReleaseRecord).where(
        ReleaseRecord.name == name, ReleaseRecord.version == version,
        ReleaseRecord.status == ReleaseStatus.READY))


def label_of(record: ReleaseRecord) -> str:
    return f"{record.name}@{record.version}"


def _store() -> BackgroundStore:
    root = current_app.extensions["pcf_settings"].background_store
    return BackgroundStore(Path(root))


def load_release(record: ReleaseRecord) -> BackgroundRelease:
    """The frozen release a record names, checked against the record's content hash."""
    store = _store()
    key = (str(store.root), label_of(record))
    release = _LOADED.get(key)
    if release is None:
        try:
            release = _LOADED.put(key, store.get_release(label_of(record)))
        except BackgroundError as exc:
            raise Conflict(f"background release {label_of(record)} cannot be read: "
                           f"{exc}") from None
    if release.content_hash != record.content_hash:
        raise Conflict(f"background release {label_of(record)} in the store does not match "
                       f"its published content hash")
    return release


def compiled(record: ReleaseRecord, gwp_set: str = DEFAULT_GWP_SET) -> CompiledRelease:
    """Matrices and intensity table of a release under a GWP set (an artifact in the store,
    cached)."""
    return compile_release(load_release(record), Method(gwp_set), store=_store())


def _matching(release: BackgroundRelease, name: str, sector: str,
              geography: str) -> Iterator[ActivityChoice]:
    needles = (name.strip().lower(), sector.strip().lower(), geography.strip().lower())
    for activity in release.activities:
        haystacks = (f"{activity.name} {activity.id} {activity.reference_product}".lower(),
                     activity.sector.lower(), activity.geography.lower())
        if all(n in h for n, h in zip(needles, haystacks, strict=True)):
            yield ActivityChoice(activity.id, activity.name, activity.unit,
                                 activity.sector, activity.geography)


def search_activities(release: BackgroundRelease, *, name: str = "", sector: str = "",
                      geography: str = "", limit: int = SEARCH_LIMIT) -> list[ActivityChoice]:
    """Activities whose name (or id or product), sector and geography contain the given
    texts, case-insensitively; at most *limit*, in id order."""
    return list(islice(_matching(release, name, sector, geography), limit))


def search_page(session: Session, release_id: int, *, name: str = "", sector: str = "",
                geography: str = "", offset: int = 0, limit: int = SEARCH_LIMIT
                ) -> tuple[list[ActivityChoice], int]:
    """One page of the matches `search_activities` finds in a READY release (from
    *offset*, at most *limit*) and the number of all matches."""
    release = load_release(ready_release(session, release_id))
    start = max(0, offset)
    page, total = [], 0
    for total, choice in enumerate(_matching(release, name, sector, geography), start=1):
        if start < total <= start + limit:
            page.append(choice)
    return page, total


def activity_names(release: BackgroundRelease) -> dict[str, str]:
    return {a.id: a.name for a in release.activities}


def flows(release: BackgroundRelease) -> list[FlowChoice]:
    """The release's elementary flows, greenhouse gases first."""
    ordered = sorted(release.flows, key=lambda f: (f.gas is None, f.name))
    return [FlowChoice(f.id, f.name, f.unit) for f in ordered]
