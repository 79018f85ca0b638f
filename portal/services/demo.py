"""Demo data: one organisation of each kind with an administrator, so a fresh portal can be
tried at once. Passwords are random and printed once; nothing secret is stored in the repo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db.models import Organisation, OrganisationKind, Role, User
from portal.services import accounts

DEMO = (
    ("Platform operator (demo) / 平台运营方（演示）", OrganisationKind.OPERATOR,
     "operator@demo.pcf", Role.ADMIN),
    ("Shanxi Iron and Steel Association (demo) / 山西省钢铁行业协会（演示）",
     OrganisationKind.ASSOCIATION, "association@demo.pcf", Role.ADMIN),
    ("Taiyuan Bracket Co. (demo) / 太原支架有限公司（演示）", OrganisationKind.ENTERPRISE,
     "enterprise@demo.pcf", Role.ADMIN),
    ("Shanxi Certification Centre (demo) / 山西认证中心（演示）",
     OrganisationKind.CERTIFICATION_BODY, "certifier@demo.pcf", Role.ADMIN),
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str | None  # None: the account existed; its password is not known
    organisation: str


def ensure_demo(session: Session, *, reset_passwords: bool = False) -> list[DemoLogin]:
    """Create the demo organisations and administrators that do not exist yet."""
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
