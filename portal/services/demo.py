"""Demo data: one organisation of each kind with an administrator, and the seed background
release, so a fresh portal can be tried at once. Passwords are random and printed once;
nothing secret is stored in the repo."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from background_db.compile import compile_release
from background_db.errors import StoreError
from background_db.importers import import_file
from background_db.records import Dataset, DatasetRole
from background_db.release import compose
from background_db.store import BackgroundStore
from portal.db.models import (
    Organisation,
    OrganisationKind,
    ReleaseRecord,
    ReleaseStatus,
    Role,
    User,
)
from portal.services import accounts, audit
from portal.settings import Settings

DEMO = (
    ("Platform operator (demo) / 平台运营方（演示）", OrganisationKind.OPERATOR,
     "operator@demo.pcf", Role.ADMIN),
    ("Shanxi Iron and Steel Association (demo) / 山西省钢铁行业协会（演示）",
     OrganisationKind.ASSOCIATION, "association@demo.pcf", Role.ADMIN),
    ("Taiyuan Bracket Co. (demo) / 太原支架有限公司（演示）", OrganisationKind.ENTERPRISE,
     "enterprise@demo.pcf", Role.ADMIN),
    ("Shanxi Certification Centre (demo) / 山西认证中心（演示）",
     OrganisationKind.CERTIFICATION_BODY, "certifier@demo.pcf", Role.CERTIFIER),
    # a second member of the body: the signer (issuing needs a signer and another approver)
    ("Shanxi Certification Centre (demo) / 山西认证中心（演示）",
     OrganisationKind.CERTIFICATION_BODY, "signer@demo.pcf", Role.SIGNER),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str | None  # None: the account existed; its password is not known
    organisation: str


def ensure_demo(session: Session, *, reset_passwords: bool = False,
                store: BackgroundStore | None = None) -> list[DemoLogin]:
    """Create the demo organisations and administrators that do not exist yet, and the seed
    release (in *store*; default: the store of the portal the environment configures, as
    `pcf demo` builds it)."""
    if store is None:
        root = Settings.from_env().resolved().background_store
        assert root is not None  # resolved() fills it in
        store = BackgroundStore(root)
    ensure_seed_release(session, store)
    logins = []
    for name, kind, email, role in DEMO:
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None:
            organisation = accounts.create_organisation(session, name=name, kind=kind,
                                                        actor=None)
        user = session.scalar(select(User).where(User.email == email))
        password: str | None = None
        if user is None:
            password = secrets.token_urlsafe(12)
            accounts.create_user(session, organisation=organisation, email=email,
                                 name=email.split("@")[0], password=password, role=role,
                                 actor=None)
        elif reset_passwords:
            password = secrets.token_urlsafe(12)
            accounts.set_password(session, user=user, password=password, actor=None)
        logins.append(DemoLogin(email, password, name))
    return logins


#: (seed file, dataset name, role, version), as `pcf background seed` imports them.
SEED_DATASETS = (
    ("national-base.csv", "cn-national", DatasetRole.BASE, "2026.1.0"),
    ("shanxi-demo-extension.csv", "shanxi-demo-ext", DatasetRole.EXTENSION, "0.1.0"),
)
SEED_RELEASE = ("shanxi-demo", "1.0.0")


def _seed_dataset(store: BackgroundStore, file: str, name: str, role: DatasetRole,
                  version: str) -> Dataset:
    try:
        return store.get_dataset(name, version)
    except StoreError:
        pass
    with resources.as_file(resources.files("background_db") / "seed" / file) as path:
        dataset = import_file(path, format="template", role=role, name=name, version=version)
    store.put_dataset(dataset)
    return dataset


def ensure_seed_release(session: Session, store: BackgroundStore) -> ReleaseRecord:
    """The seed release shanxi-demo@1.0.0 in *store*, compiled, with a READY record."""
    name, version = SEED_RELEASE
    record = session.scalar(select(ReleaseRecord).where(ReleaseRecord.name == name,
                                                        ReleaseRecord.version == version))
    if record is not None:
        return record
    base, extension = (_seed_dataset(store, *seed) for seed in SEED_DATASETS)
    try:
        release = store.get_release(f"{name}@{version}")
    except StoreError:
        release = compose(name, version, base, [extension])
        store.put_release(release)
    compile_release(release, store=store)
    record = ReleaseRecord(
        name=name, version=version, content_hash=release.content_hash,
        base=f"{base.name}@{base.version}",
        extensions=json.dumps([f"{extension.name}@{extension.version}"]),
        status=ReleaseStatus.READY, published_at=datetime.now(UTC))
    session.add(record)
    session.flush()
    audit.record(session, actor=None, action="release.seed", entity="release",
                 entity_id=record.id, after={"label": f"{name}@{version}",
                                             "content_hash": release.content_hash})
    return record
