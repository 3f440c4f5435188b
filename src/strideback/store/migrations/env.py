"""Alembic environment: runs on the connection `Database.migrate` hands over."""

from alembic import context
from sqlalchemy import create_engine

from strideback.store.models import Base  # imports every table module

target_metadata = Base.metadata
config = context.config

connection = config.attributes.get("connection")
if connection is not None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # plain `alembic` command line use
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: set sqlalchemy.url (or run `strideback` to migrate)")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
