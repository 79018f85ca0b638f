"""What a release's page shows: its datasets and where they came from, the activities it
replaced, a paginated activity search with each activity's headline intensity per unit from
the compiled table; and the difference between two releases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from math import ceil

from sqlalchemy import select
from sqlalchemy.orm import Session

from background_db.compile import compile_release
from background_db.diff import ReleaseDiff, diff_releases
from background_db.errors import BackgroundError
from background_db.records import ActivityRecord
from background_db.release import BackgroundRelease, DatasetRef
from background_db.store import BackgroundStore
from lca_engine.characterization import HEADLINE
from lca_engine.intensity import IntensityTable
from portal.db.models import (
    DatasetUpload,
    Job,
    Organisation,
    ReleaseRecord,
    ReleaseStatus,
    UploadStatus,
    User,
)
from portal.services.errors import NotFound
from portal.services.publishing import N_
from portal.services.releases import get_release, list_releases

PAGE_SIZE = 25


@dataclass(frozen=True)
class DatasetSource:
    """A dataset in a release and, when it came through the portal, the published upload
    and the organisation that uploaded it."""

    ref: DatasetRef
    upload: DatasetUpload | None
    organisation: str


@dataclass(frozen=True)
class ActivityRow:
    """One activity found by the search, with its headline intensity (kg CO2e per unit)."""

    id: str
    name: str
    product: str
    unit: str
    geography: str
    sector: str
    intensity: float
    publisher: str
    source: str
    note: str


@dataclass(frozen=True)
class ActivitySearch:
    query: str = ""
    sector: str = ""
    geography: str = ""
    page: int = 1


@dataclass(frozen=True)
class ReleaseDetail:
    """Everything the release page shows; the search fields are empty until it is READY."""

    record: ReleaseRecord
    job: Job | None
    release: BackgroundRelease | None  # None: the stored document could not be read
    problem: str
    sources: list[DatasetSource]
    rows: list[ActivityRow]
    found: int
    page: int
    pages: int
    sectors: list[str]
    geographies: list[str]
    others: list[ReleaseRecord]  # releases to compare with


def _table(session: Session, store: BackgroundStore, record: ReleaseRecord,
           release: BackgroundRelease) -> IntensityTable:
    """The intensity table the compile job stored (by the key it recorded), else compiled
    here (the seed release has no job; compiling also reloads the stored artifact)."""
    job = session.get(Job, record.job_id) if record.job_id else None
    if job is not None and job.result:
        key = json.loads(job.result).get("table_key")
        table = store.load_table(key) if key else None
        if table is not None:
            return table
    return compile_release(release, store=store).table


def _sources(session: Session, release: BackgroundRelease) -> list[DatasetSource]:
    sources = []
    for ref in release.datasets:
        upload = session.scalars(select(DatasetUpload).where(
            DatasetUpload.name == ref.name, DatasetUpload.version == ref.version,
            DatasetUpload.status == UploadStatus.PUBLISHED).order_by(
            DatasetUpload.id.desc()).limit(1)).first()
        organisation = session.get(Organisation, upload.organisation_id) if upload else None
        sources.append(DatasetSource(ref, upload, organisation.name if organisation else ""))
    return sources


def _matching(release: BackgroundRelease, search: ActivitySearch) -> list[ActivityRecord]:
    query, sector = search.query.strip().lower(), search.sector.strip().lower()
    return [a for a in release.activities
            if (not query or any(query in text.lower()
                                 for text in (a.id, a.name, a.reference_product)))
            and (not sector or sector in a.sector.lower())
            and (not search.geography or a.geography == search.geography)]


def _row(activity: ActivityRecord, table: IntensityTable) -> ActivityRow:
    a, p = activity, activity.provenance
    value = table.values[table.categories.index(HEADLINE), table.index_of(a.id)]
    return ActivityRow(a.id, a.name, a.reference_product, a.unit, a.geography, a.sector,
                       float(value), p.publisher, p.source, p.note)


def release_detail(session: Session, store: BackgroundStore, *, viewer: User,
                   release_id: int, search: ActivitySearch) -> ReleaseDetail:
    """A release the viewer may see, with one page of the activities its search finds."""
    record = get_release(session, viewer=viewer, release_id=release_id)
    job = session.get(Job, record.job_id) if record.job_id else None
    others = [r for r in list_releases(session, viewer=viewer) if r.id != record.id]
    release: BackgroundRelease | None = None
    problem, sources, rows = "", [], []
    found: list[ActivityRecord] = []
    pages = page = 1
    try:
        release = store.get_release(f"{record.name}@{record.version}")
        sources = _sources(session, release)
        if record.status is ReleaseStatus.READY:
            found = _matching(release, search)
            pages = max(1, ceil(len(found) / PAGE_SIZE))
            page = min(max(1, search.page), pages)
            table = _table(session, store, record, release)
            rows = [_row(a, table) for a in found[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    except BackgroundError as exc:
        problem = str(exc)
    activities = release.activities if release else ()
    return ReleaseDetail(
        record=record, job=job, release=release, problem=problem, sources=sources,
        rows=rows, found=len(found), page=page, pages=pages,
        sectors=sorted({a.sector for a in activities if a.sector}),
        geographies=sorted({a.geography for a in activities if a.geography}), others=others)


@dataclass(frozen=True)
class ReleaseComparison:
    """*new* compared with *old*, and the names of the activities the diff mentions."""

    new: ReleaseRecord
    old: ReleaseRecord
    diff: ReleaseDiff
    names: dict[str, str]


def release_diff(session: Session, store: BackgroundStore, *, viewer: User, release_id: int,
                 against_id: int) -> ReleaseComparison:
    """What changed from release *against_id* to release *release_id* (both visible)."""
    new = get_release(session, viewer=viewer, release_id=release_id)
    old = get_release(session, viewer=viewer, release_id=against_id)
    try:
        old_release = store.get_release(f"{old.name}@{old.version}")
        new_release = store.get_release(f"{new.name}@{new.version}")
    except BackgroundError:
        raise NotFound(N_("A release document is missing from the background store.")
                       ) from None
    names = {a.id: a.name for a in old_release.activities}
    names.update({a.id: a.name for a in new_release.activities})
    return ReleaseComparison(new, old, diff_releases(old_release, new_release), names)
