"""Migrations upgrade from empty and downgrade again, on SQLite or PostgreSQL."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from portal.migrate import downgrade, upgrade


def test_downgrade_to_empty_and_upgrade_again(database_url: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"organisation", "user_account", "invitation", "audit_event"} <= tables
    engine.dispose()


def test_the_migrations_match_the_models(database_url: str) -> None:
    from alembic import command

    from portal.migrate import alembic_config

    command.check(alembic_config(database_url))  # raises when autogenerate finds a difference
