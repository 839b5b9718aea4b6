"""Alembic environment: runs migrations against the hub's engine, online only."""

from __future__ import annotations

from alembic import context

import hub.models  # noqa: F401  (registers every table)
from hub.db import make_engine, metadata

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
assert url, "no database URL given to alembic"
engine = make_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
