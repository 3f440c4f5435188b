"""Storage: SQLAlchemy 2 models, Alembic migrations, one engine per database URL."""

from strideback.store.db import Database, default_url, open_database

__all__ = ["Database", "default_url", "open_database"]
