"""Trade secrets at rest: a ciphertext opens only for its organisation, table, row and
column, only with the master key that wrapped the organisation's data key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal.crypto import DecryptionError, Vault
from portal.db.models import OrganisationKey, OrganisationKind, Role, User

from .conftest import make_user

SECRET = "钢卷 1020 kg, 锌锭 52 kg: our recipe"


def organisations(app: Flask) -> tuple[int, int]:
    a = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "a@x.cn", "A")
    b = make_user(app, OrganisationKind.ENTERPRISE, Role.ADMIN, "b@x.cn", "B")
    with app.extensions["pcf_db"].unit_of_work() as session:
        return (session.get(User, a).organisation_id,  # type: ignore[union-attr]
                session.get(User, b).organisation_id)  # type: ignore[union-attr]


def seal(app: Flask, org: int, row: int = 1, column: str = "document") -> str:
    vault: Vault = app.extensions["pcf_vault"]
    with app.extensions["pcf_db"].unit_of_work() as session:
        return vault.seal(session, organisation_id=org, table="product_model_version",
                          row_id=row, column=column, plaintext=SECRET)


def open_(app: Flask, org: int, text: str, row: int = 1, column: str = "document",
          vault: Vault | None = None) -> str:
    vault = vault or app.extensions["pcf_vault"]
    with app.extensions["pcf_db"].unit_of_work() as session:
        return vault.open(session, organisation_id=org, table="product_model_version",
                          row_id=row, column=column, ciphertext=text)


class TestVault:
    def test_round_trip_and_no_plaintext_stored(self, app: Flask) -> None:
        a, _b = organisations(app)
        text = seal(app, a)
        assert SECRET not in text
        assert "钢卷" not in base64.b64decode(text[3:]).decode("latin-1")
        assert open_(app, a, text) == SECRET

    @pytest.mark.parametrize(("elsewhere", "row", "column"), [
        (True, 1, "document"), (False, 2, "document"), (False, 1, "name")])
    def test_a_copied_ciphertext_fails_elsewhere(self, app: Flask, elsewhere: bool, row: int,
                                                 column: str) -> None:
        a, b = organisations(app)
        text = seal(app, a)
        with pytest.raises(DecryptionError):
            open_(app, b if elsewhere else a, text, row=row, column=column)

    def test_a_tampered_ciphertext_fails(self, app: Flask) -> None:
        a, _b = organisations(app)
        raw = bytearray(base64.b64decode(seal(app, a)[3:]))
        raw[-1] ^= 1
        with pytest.raises(DecryptionError):
            open_(app, a, "v1:" + base64.b64encode(bytes(raw)).decode())

    def test_another_master_key_cannot_unwrap_the_data_key(self, app: Flask) -> None:
        a, _b = organisations(app)
        text = seal(app, a)
        with pytest.raises(DecryptionError, match="master key"):
            open_(app, a, text, vault=Vault(b"\x01" * 32))

    def test_data_keys_are_stored_wrapped(self, app: Flask) -> None:
        a, _b = organisations(app)
        seal(app, a)
        with app.extensions["pcf_db"].unit_of_work() as session:
            keys = session.scalars(select(OrganisationKey)).all()
        assert [k.organisation_id for k in keys] == [a]
        assert len(base64.b64decode(keys[0].wrapped_key)) == 12 + 32 + 16  # nonce+key+tag


def test_instance_secrets_are_created_once_with_mode_600(tmp_path: Path) -> None:
    import stat
    from concurrent.futures import ThreadPoolExecutor

    from portal.instance_files import secret_file

    made = iter(range(100))
    with ThreadPoolExecutor(8) as pool:
        seen = set(pool.map(lambda _i: secret_file(tmp_path / "s", lambda: f"v{next(made)}"),
                            range(16)))
    assert len(seen) == 1  # every caller read the one value written
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o600
