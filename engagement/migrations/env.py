"""Alembic environment: runs on the connection `engagement.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from engagement import freshness, models  # noqa: F401  (the tables the migrations describe)
from engagement.db import for_database

connection = context.config.attributes["connection"]


context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=for_database(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
