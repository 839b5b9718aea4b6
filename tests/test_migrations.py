"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL, and can go back."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import hub.models  # noqa: F401
from hub import migrate
from hub.db import make_engine, metadata


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == [], f"the models and the migrations disagree; write a migration for: {diff}"


def test_downgrade_to_base_and_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'updown.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(url)
    engine = make_engine(url)
    assert {"organisation", "api_key", "share", "trade_document", "outbox_entry"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()
