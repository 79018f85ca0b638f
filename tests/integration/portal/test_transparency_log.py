"""The portal's transparency log: the process-wide copy used for reading stays equal to the
stored leaves when it is extended, when a transaction that appended rolls back, and when the
database is emptied and refilled."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from label_cert import transparency
from portal.db.models import LogCheckpoint, TransparencyLeaf
from portal.services import transparency_log


def fresh_root(app: Flask, size: int) -> bytes:
    """The root rebuilt from the stored rows, without the cache."""
    log = transparency.MerkleLog()
    with app.extensions["pcf_db"].unit_of_work() as session:
        for row in session.scalars(select(TransparencyLeaf).where(
                TransparencyLeaf.index < size).order_by(TransparencyLeaf.index)):
            log.append(row.event.encode())
    return log.root()


def append(app: Flask, leaf: bytes) -> int:
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        return transparency_log.append_to_log(session, leaf)


def root(app: Flask, size: int) -> tuple[bytes, transparency.MerkleLog]:
    with app.app_context(), app.extensions["pcf_db"].unit_of_work() as session:
        log = transparency_log.load_log(session, size)
        return log.root(size), log


def test_the_read_copy_grows_with_the_log_and_matches_a_rebuild(app: Flask) -> None:
    for n in range(5):
        append(app, f"leaf {n}".encode())
    value, first = root(app, 5)
    assert value == fresh_root(app, 5)
    for n in range(5, 9):
        append(app, f"leaf {n}".encode())
    value, second = root(app, 9)
    assert second is first  # extended, not rebuilt
    assert value == fresh_root(app, 9)
    assert root(app, 3)[0] == fresh_root(app, 3)  # older sizes from the same copy
    with app.extensions["pcf_db"].unit_of_work() as session:
        checkpoint = session.scalars(select(LogCheckpoint).order_by(
            LogCheckpoint.size.desc())).first()
        assert checkpoint is not None
        assert checkpoint.size == 9
        assert checkpoint.root_hash == fresh_root(app, 9).hex()


def test_a_rolled_back_append_does_not_stay_in_the_copy(app: Flask) -> None:
    for n in range(3):
        append(app, f"kept {n}".encode())
    db = app.extensions["pcf_db"]
    try:
        with app.app_context(), db.unit_of_work() as session:
            transparency_log.append_to_log(session, b"rolled back")
            assert transparency_log.load_log(session).size == 4  # seen inside, uncommitted
            raise RuntimeError("abort the transaction")
    except RuntimeError:
        pass
    index = append(app, b"committed instead")
    assert index == 3
    value, log = root(app, 4)
    assert value == fresh_root(app, 4)
    assert log.leaf(3) == b"committed instead"


def test_an_emptied_and_refilled_database_is_read_afresh(app: Flask) -> None:
    for n in range(4):
        append(app, f"old {n}".encode())
    root(app, 4)
    with app.extensions["pcf_db"].unit_of_work() as session:
        session.execute(LogCheckpoint.__table__.delete())
        session.execute(TransparencyLeaf.__table__.delete())
    for n in range(4):
        append(app, f"new {n}".encode())
    value, log = root(app, 4)
    assert value == fresh_root(app, 4)
    assert log.leaf(0) == b"new 0"


def test_warming_builds_the_read_copy_and_tolerates_an_empty_database(
        app: Flask, tmp_path: object) -> None:
    for n in range(3):
        append(app, f"warm {n}".encode())
    transparency_log._CACHE.clear()
    transparency_log.warm(app)
    assert [log.size for log in transparency_log._CACHE.values()] == [3]
    from portal import create_app

    bare = create_app({"database_url": f"sqlite:///{tmp_path}/never-migrated.sqlite3",
                       "instance_path": f"{tmp_path}/instance", "testing": True})
    transparency_log.warm(bare)  # no tables yet: a warning, not an exception
