"""Open a database: SQLite in the user's data directory by default, any SQLAlchemy URL otherwise.

The URL comes from, in order: the `--db` option, the `STRIDEBACK_DB` environment variable,
then `sqlite:///<user data dir>/strideback.sqlite3`. The schema is brought up to date with
Alembic on open (`alembic upgrade heads`), so a first run just works.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ENV_VAR = "STRIDEBACK_DB"


def data_dir() -> Path:
    """The folder that holds the default database and analysis outputs."""
    override = os.environ.get("STRIDEBACK_HOME")
    path = Path(override) if override else Path(user_data_dir("strideback", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_url() -> str:
    return os.environ.get(ENV_VAR) or f"sqlite:///{data_dir() / 'strideback.sqlite3'}"


def _normalise(url: str) -> str:
    # "postgresql://" means psycopg 3 here (the driver we depend on).
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _without_nul(value: object) -> object:
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


def _clean_params(params: object) -> object:
    if isinstance(params, dict):
        return {key: _without_nul(value) for key, value in params.items()}
    if isinstance(params, tuple):
        return tuple(_without_nul(value) for value in params)
    if isinstance(params, list):  # executemany: a list of parameter sets
        return [_clean_params(p) for p in params]
    return params


def _strip_nul_characters(  # type: ignore[no-untyped-def]
    _conn, _cursor, statement, parameters, _context, _executemany
):
    """No NUL character reaches the database: PostgreSQL refuses them in text, and they
    are never meaningful in a diary note or a name (form posts, files, restored backups)."""
    return statement, _clean_params(parameters)


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


@cache
def migration_heads() -> frozenset[str]:
    """The head revisions of every branch, read from the migration files' headers."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if match := _REVISION.search(source):
            revisions.add(match.group(1))
        if match := _DOWN.search(source):
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", match.group(1)))
    return frozenset(revisions - parents)


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # imported here: alembic is slow to import

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Database:
    """An engine plus a session factory. Create with `open_database`."""

    def __init__(self, url: str):
        self.url = _normalise(url)
        kwargs: dict[str, Any] = {"future": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        event.listen(self.engine, "before_cursor_execute", _strip_nul_characters, retval=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def is_current(self) -> bool:
        """True when the database already stands at every migration head.

        A cheap check (no Alembic import) so everyday commands start fast; when it is not
        sure, it says False and `migrate` lets Alembic decide.
        """
        try:
            with self.engine.connect() as connection:
                stored = {
                    row[0]
                    for row in connection.execute(text("SELECT version_num FROM alembic_version"))
                }
        except SQLAlchemyError:
            return False
        return stored == migration_heads()

    def migrate(self) -> None:
        """Bring the schema up to date (all Alembic branches)."""
        if self.is_current():
            return
        from alembic import command

        cfg = alembic_config(self.url)
        with self.engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


_OPEN: dict[str, Database] = {}


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open (and on first use create and migrate) the database at `url`."""
    url = _normalise(url or default_url())
    if url in _OPEN:
        return _OPEN[url]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    if migrate:
        db.migrate()
    _OPEN[url] = db
    return db


def close_all() -> None:
    for db in _OPEN.values():
        db.dispose()
    _OPEN.clear()
