"""Trade-secret encryption at rest: per-organisation AES-256-GCM data keys wrapped by the
platform master key. The associated data binds each ciphertext to its organisation, table,
row and column, so a ciphertext copied anywhere else fails to decrypt."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db.models import OrganisationKey
from portal.instance_files import secret_file

PREFIX = "v1:"


class DecryptionError(Exception):
    """A ciphertext does not belong where it was found, was altered, or the key is wrong."""


def load_master_key(configured: str, instance: Path) -> bytes:
    """The 32-byte master key: PCF_MASTER_KEY (base64), else a key generated once into the
    instance folder (mode 600). Never in the repository."""
    if configured:
        key = base64.urlsafe_b64decode(configured)
    else:
        key = base64.urlsafe_b64decode(secret_file(instance / "master_key", lambda: (
            base64.urlsafe_b64encode(AESGCM.generate_key(256)).decode())))
    if len(key) != 32:
        raise ValueError("the master key must be 32 bytes (base64)")
    return key


class Vault:
    """Seals and opens values for one database with one master key."""

    def __init__(self, master_key: bytes) -> None:
        self._master = AESGCM(master_key)

    def _data_key(self, session: Session, organisation_id: int) -> AESGCM:
        row = session.scalar(select(OrganisationKey).where(
            OrganisationKey.organisation_id == organisation_id))
        wrap_ad = f"organisation-key|{organisation_id}".encode()
        if row is None:
            key = AESGCM.generate_key(256)
            nonce = os.urandom(12)
            row = OrganisationKey(
                organisation_id=organisation_id, created_at=datetime.now(UTC),
                wrapped_key=base64.b64encode(nonce + self._master.encrypt(nonce, key,
                                                                          wrap_ad)).decode())
            session.add(row)
            session.flush()
            return AESGCM(key)
        blob = base64.b64decode(row.wrapped_key)
        try:
            return AESGCM(self._master.decrypt(blob[:12], blob[12:], wrap_ad))
        except InvalidTag:
            raise DecryptionError(f"the data key of organisation {organisation_id} does not "
                                  f"open with this master key") from None

    @staticmethod
    def _ad(organisation_id: int, table: str, row_id: object, column: str) -> bytes:
        return f"{organisation_id}|{table}|{row_id}|{column}".encode()

    def seal(self, session: Session, *, organisation_id: int, table: str, row_id: object,
             column: str, plaintext: str) -> str:
        """Encrypt *plaintext* for one cell; the result is text for a Text column."""
        nonce = os.urandom(12)
        sealed = self._data_key(session, organisation_id).encrypt(
            nonce, plaintext.encode(), self._ad(organisation_id, table, row_id, column))
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, session: Session, *, organisation_id: int, table: str, row_id: object,
             column: str, ciphertext: str) -> str:
        """Decrypt one cell sealed by `seal` for exactly this organisation, table, row and
        column; anything else raises DecryptionError."""
        if not ciphertext.startswith(PREFIX):
            raise DecryptionError(f"{table}.{column} of row {row_id} is not sealed")
        blob = base64.b64decode(ciphertext[len(PREFIX):])
        try:
            return self._data_key(session, organisation_id).decrypt(
                blob[:12], blob[12:], self._ad(organisation_id, table, row_id, column)).decode()
        except InvalidTag:
            raise DecryptionError(f"{table}.{column} of row {row_id} does not decrypt for "
                                  f"organisation {organisation_id}") from None
