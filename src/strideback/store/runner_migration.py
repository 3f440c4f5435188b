"""What the `*_runner` migrations share (issue #12): a runner on every runner-owned row.

An existing single-runner database becomes the local runner's data: the runner user "me"
(role runner, no password) is created when it does not exist, and every existing row gets its
id. Written against literal tables (not the models), so later model changes do not change what
these migrations do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from strideback.store.owned import LOCAL_RUNNER_USERNAME, local_runner_values

_USERS = sa.table(
    "accounts_users",
    sa.column("id", sa.Integer),
    sa.column("username", sa.String),
    sa.column("role", sa.String),
    sa.column("display_name", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("clinician_id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("disabled", sa.Boolean),
)


def local_runner_id(connection: sa.Connection) -> int:
    """The id of the local runner "me", created (role runner, no password) when missing."""
    query = sa.select(_USERS.c.id).where(_USERS.c.username == LOCAL_RUNNER_USERNAME)
    found = connection.execute(query).scalar()
    if found is None:
        connection.execute(sa.insert(_USERS).values(**local_runner_values()))
        found = connection.execute(query).scalar_one()
    return int(found)


def add_runner_column(table: str) -> None:
    """Add `runner_id` (nullable for now) and give every existing row the local runner (a
    new, empty database gets no runner here: `Database.local_runner` makes one when used)."""
    connection = op.get_bind()
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("runner_id", sa.Integer, nullable=True))
    literal = sa.table(table, sa.column("runner_id", sa.Integer))
    if connection.execute(sa.select(sa.func.count()).select_from(literal)).scalar():
        runner = local_runner_id(connection)
        connection.execute(sa.update(literal).values(runner_id=runner))


def _pk_name(table: str) -> str:
    name = sa.inspect(op.get_bind()).get_pk_constraint(table)["name"]
    return str(name or f"{table}_pkey")


def is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def rebuild(table: str) -> AbstractContextManager[BatchOperations]:
    """A batch on `table`: on SQLite the table is copied (its constraints change), elsewhere
    plain ALTER statements."""
    return op.batch_alter_table(table, recreate="always" if is_sqlite() else "auto")


def finish_runner_column(
    table: str,
    *,
    primary_key: list[str] | None = None,
    more: Callable[[BatchOperations], Any] | None = None,
) -> None:
    """`runner_id` not null, indexed, a foreign key to accounts_users; optionally a new
    primary key (per-runner keys: (runner_id, day), (runner_id, key), ...)."""
    if primary_key is not None and not is_sqlite():
        op.drop_constraint(_pk_name(table), table, type_="primary")
    with warnings.catch_warnings(), rebuild(table) as batch:
        # SQLite's copy names the new primary key columns; SQLAlchemy warns that they differ.
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        batch.alter_column("runner_id", existing_type=sa.Integer, nullable=False)
        batch.create_index(f"ix_{table}_runner_id", ["runner_id"])
        batch.create_foreign_key(
            f"fk_{table}_runner_id_accounts_users", "accounts_users", ["runner_id"], ["id"]
        )
        if primary_key is not None:
            batch.create_primary_key(f"pk_{table}", primary_key)
        if more is not None:
            more(batch)


def drop_runner_column(table: str, *, primary_key: list[str] | None = None) -> None:
    """The downgrade: back to one runner's rows (the data of other runners is refused)."""
    if primary_key is not None and not is_sqlite():
        op.drop_constraint(_pk_name(table), table, type_="primary")
    with warnings.catch_warnings(), rebuild(table) as batch:
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        batch.drop_constraint(f"fk_{table}_runner_id_accounts_users", type_="foreignkey")
        batch.drop_index(f"ix_{table}_runner_id")
        batch.drop_column("runner_id")
        if primary_key is not None:
            batch.create_primary_key(f"pk_{table}", primary_key)
