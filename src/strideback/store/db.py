"""Open a database: SQLite in the user's data directory by default, any SQLAlchemy URL otherwise.

The URL comes from, in order: the `--db` option, the `STRIDEBACK_DB` environment variable,
then `sqlite:///<user data dir>/strideback.sqlite3`. The schema is brought up to date with
Alembic on open (`alembic upgrade heads`), so a first run just works.

Every session acts for one runner (issue #12): `db.for_runner(id)` is the same database seen
as that runner; a plain `open_database()` acts for the local runner "me" (the single-user
default, created on first use). Every ORM query on a runner-owned table (store/owned.py) is
filtered by that runner, and new rows are stamped with it.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event, false, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from strideback.store.owned import LOCAL_RUNNER_USERNAME, RunnerOwned, local_runner_values

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


ALL_RUNNERS = "all"  # the scope of server-wide work (job heartbeats, migrations, tests)
_SCOPE = "runner_scope"


class MissingRunner(RuntimeError):
    """A row was written without a runner where no runner was chosen (clinic mode)."""


def _filter_by_runner(state: ORMExecuteState) -> None:
    """Every ORM SELECT/UPDATE/DELETE on runner-owned rows sees only the session's runner."""
    scope = state.session.info.get(_SCOPE, ALL_RUNNERS)
    if scope == ALL_RUNNERS or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    if scope is None:  # no runner chosen: nothing runner-owned is visible
        criteria = with_loader_criteria(RunnerOwned, lambda cls: false(), include_aliases=True)
    else:
        runner = int(scope)
        criteria = with_loader_criteria(
            RunnerOwned, lambda cls: cls.runner_id == runner, include_aliases=True
        )
    state.statement = state.statement.options(criteria)


def _stamp_runner(session: Session, _context: object, _instances: object) -> None:
    """New runner-owned rows belong to the session's runner (another runner's id: refused)."""
    scope = session.info.get(_SCOPE, ALL_RUNNERS)
    for obj in session.new:
        if not isinstance(obj, RunnerOwned):
            continue
        if scope == ALL_RUNNERS:
            if obj.runner_id is None:
                raise MissingRunner(f"{type(obj).__name__}: no runner given")
            continue
        if scope is None:
            raise MissingRunner(f"{type(obj).__name__}: no runner chosen for this request")
        if obj.runner_id is not None and obj.runner_id != scope:
            raise MissingRunner(f"{type(obj).__name__}: belongs to another runner")
        obj.runner_id = int(scope)


class Database:
    """An engine plus a session factory. Create with `open_database`.

    `runner` is the runner its sessions act for: None means the local runner (single-user),
    unless `require_runner` is set (clinic server), where None sees no runner-owned row.
    """

    require_runner: bool = False
    _runner: int | str | None = None

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
        event.listen(self._sessions, "do_orm_execute", _filter_by_runner)
        event.listen(self._sessions, "before_flush", _stamp_runner)
        from strideback.store.clinic_board import track_writes

        track_writes(self._sessions)  # the clinician board's per-runner data versions
        self._shared: dict[str, int] = {}  # the local runner's id, once known

    def for_runner(self, runner_id: int) -> Database:
        """This database acting for `runner_id` (same engine and sessions)."""
        view = copy.copy(self)
        view._runner = int(runner_id)
        return view

    def requiring_runner(self) -> Database:
        """This database where a session with no runner chosen sees no runner-owned row and
        may write none (the clinic server's base database: pages use `for_runner`)."""
        view = copy.copy(self)
        view.require_runner = True
        return view

    def all_runners(self) -> Database:
        """This database with no runner filter: server-wide work only (job heartbeats)."""
        view = copy.copy(self)
        view._runner = ALL_RUNNERS
        return view

    def local_runner(self) -> int:
        """The id of the local runner "me" (role runner, no password), created on first use."""
        known = self._shared.get("local")
        if known is not None:
            return known
        from strideback.store.accounts import UserRow  # the accounts tables' model

        query = select(UserRow.id).where(UserRow.username == LOCAL_RUNNER_USERNAME)
        try:
            with self._sessions() as session, session.begin():
                found = session.scalar(query)
                if found is None:
                    row = UserRow(**local_runner_values())
                    session.add(row)
                    session.flush()
                    found = row.id
        except IntegrityError:  # another process made it at the same moment: use theirs
            with self._sessions() as session:
                found = session.scalars(query).one()
        self._shared["local"] = int(found)
        return int(found)

    def forget_local_runner(self) -> None:
        """After the accounts table was replaced (a restore): look the local runner up again."""
        self._shared.clear()

    @property
    def runner_id(self) -> int | None:
        """The runner this database acts for (None: none chosen, clinic server)."""
        scope = self._scope()
        return scope if isinstance(scope, int) else None

    def _scope(self) -> int | str | None:
        if self._runner is not None:
            return self._runner
        if self.require_runner:
            return None
        return self.local_runner()

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
        with self.engine.connect() as connection:
            if self.is_sqlite:
                # Some migrations copy a table (SQLite cannot change a primary key in place):
                # with foreign keys on, dropping the old copy would cascade to the rows that
                # point at it. Off for the migration (outside a transaction), checked after.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    cfg.attributes["connection"] = connection
                    command.upgrade(cfg, "heads")
                    if self.is_sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"migration left broken references: {broken[:5]}")
            finally:
                if self.is_sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error."""
        session = self._sessions()
        session.info[_SCOPE] = self._scope()
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


def is_open(db: Database) -> bool:
    """Whether `db` (or a view of it: `for_runner`, `requiring_runner`) is still open."""
    current = _OPEN.get(db.url)
    return current is not None and current.engine is db.engine


def close_all() -> None:
    for db in _OPEN.values():
        db.dispose()
    _OPEN.clear()
