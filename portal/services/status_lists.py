"""Signed status list credentials as the portal serves them at /status/<body>/<purpose>.

Each certification body's revocation and suspension lists are read from their stored record
and signed on request with the body's active key (vc+jwt): valid for VALIDITY from the moment
of signing, to be fetched again after its ttl.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from label_cert.status_list import PURPOSES, Purpose, StatusList, sign_status_list
from portal.db.models import StatusListRecord
from portal.services import issuer_keys
from portal.services.errors import NotFound
from portal.services.labels import status_list_url
from portal.web import settings

#: validUntil - validFrom of each signed list (at least its ttl): a list replayed later than
#: this is refused even by a verifier that ignores the ttl. The ttl itself (the credential's
#: `ttl` and the response's Cache-Control max-age; past it `pcf verify` says "status
#: unknown") is the setting status_list_ttl_seconds, 5 minutes by default: short, because a
#: revocation reaches offline verifiers only when they fetch again.
VALIDITY = timedelta(days=1)


@dataclass(frozen=True)
class SignedStatusList:
    """One served status list credential: the compact JWS, its URL and when it was signed."""

    url: str
    token: str
    signed_at: datetime
    ttl: timedelta


def signed_list(
    session: Session, *, body_id: int, purpose: str, now: datetime | None = None
) -> SignedStatusList:
    """The body's list for *purpose*, signed now; NotFound for an unknown body or purpose, or
    a body that has issued no label yet (no list exists)."""
    if purpose not in PURPOSES:
        raise NotFound("no such status list")
    record = session.scalar(
        select(StatusListRecord).where(
            StatusListRecord.body_id == body_id, StatusListRecord.purpose == purpose
        )
    )
    if record is None:
        raise NotFound("no such status list")
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    issuer = issuer_keys.issuer_id(settings().public_host, body_id)
    status = StatusList.from_encoded(issuer, cast(Purpose, purpose), record.encoded)
    url = status_list_url(body_id, purpose)
    ttl = timedelta(seconds=settings().status_list_ttl_seconds)
    payload = status.credential(url, moment, moment + max(VALIDITY, ttl),
                                int(ttl.total_seconds() * 1000))
    key = issuer_keys.ensure_key(session, body_id=body_id)
    token = sign_status_list(payload, issuer_keys.signer_for(session, key), moment)
    return SignedStatusList(url, token, moment, ttl)
