"""The clinician board's data versions (owner: strideback.clinic; migration clinic_board_0001).

One row per runner: a number that grows in the same transaction as every write to what the
runner's Today reads (diary, checks, settings, plan starts, activities). The board caches each
runner's summary under that number (clinic/board.py), so a view reads 200 small rows instead
of scanning a year of diary per runner. Row 0 stands for every runner: a bulk write made for
no one runner in particular (a server-wide job, a migration helper) moves it, and then every
cached summary is stale.

`Database` (store/db.py) registers `track_writes` on its sessions, so a write from any process
(the server, the CLI, a worker) moves the version; nothing here needs the callers' help.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Integer, Table, event, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, sessionmaker

from strideback.store.activities import ActivityRow, SourceFile
from strideback.store.base import Base
from strideback.store.coach import CheckRow, DiaryRow, PlanStartRow, SettingRow

EVERY_RUNNER = 0
# What Today reads of a runner: a write to these tables changes their board summary.
TRACKED = (DiaryRow, CheckRow, SettingRow, PlanStartRow, ActivityRow, SourceFile)
_TRACKED_TABLES = frozenset(cls.__tablename__ for cls in TRACKED)


class BoardVersionRow(Base):
    """The data version of one runner (0: of every runner). Not a runner's own data: the
    column is `runner`, not `runner_id`, so backups and the runner filter leave it alone."""

    __tablename__ = "clinic_board_versions"

    runner: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def _bump(session: Session, runners: Iterable[int]) -> None:
    """Move the versions of `runners` on (an upsert, in the session's own transaction)."""
    values = [{"runner": r, "version": 1} for r in sorted(set(runners))]
    if not values:
        return
    connection = session.connection()
    table: Table = BoardVersionRow.__table__  # type: ignore[assignment]
    keys, moved = [table.c.runner], {"version": table.c.version + 1}
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        pg = postgresql.insert(table).values(values)
        connection.execute(pg.on_conflict_do_update(index_elements=keys, set_=moved))
    else:
        from sqlalchemy.dialects import sqlite

        lite = sqlite.insert(table).values(values)
        connection.execute(lite.on_conflict_do_update(index_elements=keys, set_=moved))


def _written_runners(session: Session) -> set[int]:
    found: set[int] = set()
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, TRACKED) and obj.runner_id is not None:
            found.add(int(obj.runner_id))
    for obj in session.dirty:
        if isinstance(obj, TRACKED) and session.is_modified(obj) and obj.runner_id is not None:
            found.add(int(obj.runner_id))
    return found


def _after_flush(session: Session, _context: Any) -> None:
    _bump(session, _written_runners(session))


def _statement_table(state: ORMExecuteState) -> str | None:
    statement: Any = state.statement
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _on_execute(state: ORMExecuteState) -> None:
    """Bulk INSERT/UPDATE/DELETE statements (no flush): the session's runner, else everyone."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if _statement_table(state) not in _TRACKED_TABLES:
        return
    from strideback.store.db import _SCOPE, ALL_RUNNERS

    scope = state.session.info.get(_SCOPE, ALL_RUNNERS)
    _bump(state.session, [int(scope)] if isinstance(scope, int) else [EVERY_RUNNER])


def track_writes(sessions: sessionmaker[Session]) -> None:
    """Move the runners' versions on every write to the tracked tables by these sessions."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _on_execute)


def read_versions(session: Session, runners: list[int]) -> dict[int, int]:
    """{runner: version} for `runners` and EVERY_RUNNER (0 where nothing was written yet)."""
    wanted = [EVERY_RUNNER, *runners]
    query = select(BoardVersionRow.runner, BoardVersionRow.version).where(
        BoardVersionRow.runner.in_(wanted)
    )
    found = {int(runner): int(version) for runner, version in session.execute(query)}
    return {r: int(found.get(r, 0)) for r in wanted}
